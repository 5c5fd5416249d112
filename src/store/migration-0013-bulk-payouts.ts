import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Issue 12, bulk payouts (ADR 0025): a batch of up to 1,000 payouts sent in one request. The batch
 * row is committed before any item runs; each item's row is committed in the same transaction as
 * the item's payout, under the primary key (batch, index), so a batch resumed after a crash never
 * creates an item's payout twice. Item statuses are not copied: they are read through `payout_id`.
 */
export const bulkPayoutsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('payout_batches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
      .addColumn('idempotency_key', 'text')
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('item_count', 'integer', (c) => c.notNull().check(sql`item_count > 0`))
      .addColumn('callback_url', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('processed_at_ms', 'bigint')
      .execute();
    await db.schema
      .createIndex('payout_batches_project_created')
      .on('payout_batches')
      .columns(['project_id', 'created_at_ms'])
      .execute();
    await db.schema
      .createIndex('payout_batches_created')
      .on('payout_batches')
      .columns(['created_at_ms'])
      .execute();

    await db.schema
      .createTable('payout_batch_items')
      .addColumn('batch_id', 'text', (c) => c.notNull().references('payout_batches.id'))
      .addColumn('item_index', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('amount_xof', 'bigint')
      .addColumn('customer', 'text', (c) => c.notNull())
      .addColumn('payout_id', 'text')
      .addColumn('result_code', 'text', (c) => c.notNull())
      .addColumn('result_detail', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('payout_batch_items_pk', ['batch_id', 'item_index'])
      .execute();
    await db.schema
      .createIndex('payout_batch_items_payout')
      .on('payout_batch_items')
      .columns(['payout_id'])
      .execute();
  },
};
