import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Issue 12, refunds of payins (ADR 0024). One row per refund, and on the payin the sum of its
 * refunds that have not failed, `refunded_xof`, which a CHECK keeps within the amount paid: the
 * command locks the payin row and refuses an over-refund with a result code, and the database
 * refuses it again should that code ever be wrong (the same belt and braces as the accounts'
 * overdraft check). Both dialects accept a column CHECK that names another column of the row.
 */
const ms = 'bigint' as const;
const money = 'bigint' as const;

export const refundsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('payins')
      .addColumn('refunded_xof', money, (c) =>
        c
          .notNull()
          .defaultTo(0)
          .check(sql`refunded_xof >= 0 AND refunded_xof <= amount_xof`),
      )
      .execute();
    await db.schema
      .createTable('refunds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('payin_id', 'text', (c) => c.notNull())
      .addColumn('amount_xof', money, (c) => c.notNull().check(sql`amount_xof > 0`))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('customer', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('merchant_reference', 'text', (c) => c.notNull())
      .addColumn('callback_url', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull().unique())
      .addColumn('pending_transfer_id', 'text')
      .addColumn('dispatch_state', 'text', (c) => c.notNull())
      .addColumn('dispatch_attempts', 'integer', (c) => c.notNull())
      .addColumn('dispatch_after_ms', ms, (c) => c.notNull())
      .addColumn('dispatch_owner', 'text')
      .addColumn('operator_reference', 'text')
      .addColumn('status_reason', 'text')
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('updated_at_ms', ms, (c) => c.notNull())
      .execute();
    // A merchant reference names one refund of the project: a repeated request is a duplicate.
    await db.schema
      .createIndex('refunds_project_reference')
      .on('refunds')
      .columns(['project_id', 'merchant_reference'])
      .unique()
      .execute();
    await db.schema
      .createIndex('refunds_payin')
      .on('refunds')
      .columns(['payin_id', 'created_at_ms'])
      .execute();
    await db.schema
      .createIndex('refunds_dispatch')
      .on('refunds')
      .columns(['dispatch_state', 'dispatch_after_ms'])
      .execute();
  },
};
