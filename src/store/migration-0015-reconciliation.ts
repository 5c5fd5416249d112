import type { Kysely, Migration } from 'kysely';

/**
 * Issue 12, reconciliation (ADR 0027): an operator statement, imported, and what its comparison with
 * Cauri's records found, one row per statement line plus one per Cauri transaction the statement
 * should have listed and did not. Kept as imported: a new import of the same statement is a new
 * import, so that what was compared when stays on file.
 */
export const reconciliationMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reconciliation_imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('operator_id', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('from_ms', 'bigint', (c) => c.notNull())
      .addColumn('to_ms', 'bigint', (c) => c.notNull())
      .addColumn('lines_count', 'integer', (c) => c.notNull())
      .addColumn('mismatches_count', 'integer', (c) => c.notNull())
      /** JSON object: category -> count. */
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('reconciliation_imports_created')
      .on('reconciliation_imports')
      .columns(['created_at_ms'])
      .execute();
    await db.schema
      .createTable('reconciliation_lines')
      .addColumn('import_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      /** The statement's line number (1 is the header), null for a transaction missing at the operator. */
      .addColumn('line_no', 'integer')
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text')
      .addColumn('operator_amount_xof', 'bigint')
      .addColumn('cauri_amount_xof', 'bigint')
      .addColumn('operator_status', 'text')
      .addColumn('cauri_status', 'text')
      .addColumn('msisdn', 'text')
      .addColumn('occurred_at_ms', 'bigint')
      .addPrimaryKeyConstraint('reconciliation_lines_pk', ['import_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('reconciliation_lines_category')
      .on('reconciliation_lines')
      .columns(['import_id', 'category', 'seq'])
      .execute();
  },
};
