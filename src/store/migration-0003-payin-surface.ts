import type { Kysely, Migration } from 'kysely';

/**
 * The payin surface (ADR 0007): checkout invoices (hosted and direct payins through an operator)
 * and the operator simulator's back office (debit requests, pushes, USSD payment codes).
 */
const money = 'bigint' as const;
const ms = 'bigint' as const;

export const payinSurfaceMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('invoices')
      .addColumn('payin_id', 'text', (c) => c.primaryKey().references('payins.id'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('store_name', 'text', (c) => c.notNull())
      .addColumn('store_website_url', 'text', (c) => c.notNull())
      .addColumn('return_url', 'text', (c) => c.notNull())
      .addColumn('cancel_url', 'text', (c) => c.notNull())
      .addColumn('items', 'text', (c) => c.notNull())
      .addColumn('customer_firstname', 'text', (c) => c.notNull())
      .addColumn('customer_lastname', 'text', (c) => c.notNull())
      .addColumn('customer_email', 'text', (c) => c.notNull())
      .addColumn('customer_filter', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.unique())
      .addColumn('validation_mode', 'text')
      .addColumn('pending_transfer_id', 'text')
      .addColumn('redirect_url', 'text')
      .addColumn('resolve_after_ms', ms, (c) => c.notNull())
      .addColumn('resolve_attempts', 'integer', (c) => c.notNull())
      .addColumn('operator_reference', 'text')
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('updated_at_ms', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('invoices_resolve').on('invoices').columns(['resolve_after_ms']).execute();
    await db.schema.createIndex('payins_status').on('payins').columns(['status', 'created_at_ms']).execute();

    await db.schema
      .createTable('sim_debits')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('reference', 'text', (c) => c.notNull().unique())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull())
      .addColumn('amount_xof', money, (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('operator_reference', 'text', (c) => c.notNull())
      .addColumn('merchant_name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('return_url', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .addColumn('decided_at_ms', ms)
      .execute();
    await db.schema
      .createIndex('sim_debits_pending')
      .on('sim_debits')
      .columns(['status', 'phone', 'created_at_ms'])
      .execute();

    await db.schema
      .createTable('sim_ussd_codes')
      .addColumn('phone', 'text', (c) => c.primaryKey())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('expires_at_ms', ms, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at_ms', ms, (c) => c.notNull())
      .execute();
  },
};
