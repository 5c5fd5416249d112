import type { Kysely, Migration } from 'kysely';

/**
 * Retention (ADR 0022): the worker deletes, oldest first and a bounded batch at a time, the rows of
 * each target older than its configured age. Each delete reads its batch by time; without these
 * indexes every batch would scan its whole table. Times only grow, so each insert appends at the
 * index's right edge.
 */
export const retentionMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('callback_attempts_started')
      .on('callback_attempts')
      .columns(['started_at_ms'])
      .execute();
    await db.schema
      .createIndex('operator_exchanges_started')
      .on('operator_exchanges')
      .columns(['started_at_ms'])
      .execute();
    await db.schema.createIndex('idempotency_created').on('idempotency').columns(['created_at_ms']).execute();
    await db.schema.createIndex('console_audit_at').on('console_audit').columns(['at_ms']).execute();
    await db.schema
      .createIndex('console_sessions_expires')
      .on('console_sessions')
      .columns(['expires_at_ms'])
      .execute();
  },
};
