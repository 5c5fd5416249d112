import type { Kysely, Migration } from 'kysely';

/**
 * Callback deliveries are limited per receiver, the origin of the callback URL (ADR 0017): the
 * claim writes each event's receiver. The due index gains the receiver as its last column, so that
 * the claim's scan leaves out the events of full receivers, and the count of events in delivery
 * per receiver is read, from the index alone. Existing rows keep a null receiver until they are
 * next claimed.
 */
export const callbackReceiversMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('outbox').addColumn('receiver', 'text').execute();
    await db.schema.dropIndex('outbox_due').execute();
    await db.schema
      .createIndex('outbox_due')
      .on('outbox')
      .columns(['status', 'next_attempt_at_ms', 'receiver'])
      .execute();
  },
};
