import type { Kysely, Migration } from 'kysely';

/**
 * Production's records (ADR 0009, ADR 0014):
 * - an operator exchange is written before the call (`phase` 'intent') and completed after it
 *   ('outcome'), so a call cut by a crash still shows in the transaction's story;
 * - what a connector must remember to ask about a payin attempt later (`invoices.operator_state`,
 *   e.g. Orange WebPay's pay token), so that any instance can, after any restart;
 * - each wallet OTP's SMS delivery has a state (queued, submitted, delivered, failed), the
 *   provider's message id for its delivery receipt, and its attempts. The code itself is never
 *   stored: only its hash, in `otps`. A failed receipt makes it `undeliverable`.
 */
export const productionMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('operator_exchanges')
      .addColumn('phase', 'text', (c) => c.notNull().defaultTo('outcome'))
      .execute();
    await db.schema.alterTable('invoices').addColumn('operator_state', 'text').execute();
    await db.schema
      .createTable('otp_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('provider_message_id', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('otp_deliveries_message')
      .on('otp_deliveries')
      .columns(['provider', 'provider_message_id'])
      .execute();
    await db.schema
      .createIndex('otp_deliveries_phone')
      .on('otp_deliveries')
      .columns(['phone', 'created_at_ms'])
      .execute();
  },
};
