import type { Kysely, Migration } from 'kysely';

/**
 * Issue 12, operator availability (ADR 0026). The verdict is derived from `operator_exchanges`, read
 * per operator over the last minutes: an index on (operator, start) keeps that read small. One row
 * per operator keeps what the exchanges cannot tell: when the current state began (for up and
 * degraded), and the half-open probe's lease, so that of several instances only one sends the probe.
 */
export const operatorHealthMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('operator_exchanges_operator_started')
      .on('operator_exchanges')
      .columns(['operator_id', 'started_at_ms'])
      .execute();
    await db.schema
      .createTable('operator_health')
      .addColumn('operator_id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('since_ms', 'bigint', (c) => c.notNull())
      .addColumn('probe_until_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
  },
};
