import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * Issue 12, the merchant statement (ADR 0023). Each transfer gets
 *
 * - `seq`, a number that grows in the order transfers were applied to any one account: on SQLite
 *   the row's rowid, copied by a trigger (one writer at a time, and the ledger never deletes, so
 *   rowids only grow); on PostgreSQL a sequence, whose `nextval` runs at insert time, after the
 *   command locked the balance rows it touches, so two transfers of one account take their
 *   numbers in the order of their locks. It is the statement's order and its cursor.
 * - `debit_balance_after_xof` and `credit_balance_after_xof`, the posted balance of each of its
 *   two accounts once applied, written by `postTransfers` from the sums it computes anyway: a page
 *   of the statement shows running balances without summing any history (Formance Ledger keeps
 *   post-commit volumes per posting the same way).
 *
 * Existing transfers are numbered in their order of insertion (SQLite) or of creation time and id
 * (PostgreSQL), and their balances are recomputed from the postings with a window sum, so the last
 * balance of each account equals its posted sums. The single-column indexes on the two account
 * columns become (account, seq): same write cost, and a page reads one range per account.
 */
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const POSTGRES_SEQ = [
  `ALTER TABLE transfers ADD COLUMN seq bigint`,
  `UPDATE transfers t SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY created_at_ms, id) AS n FROM transfers) o WHERE o.id = t.id`,
  `CREATE SEQUENCE transfers_seq OWNED BY transfers.seq`,
  `SELECT setval('transfers_seq', (SELECT coalesce(max(seq), 0) + 1 FROM transfers), false)`,
  `ALTER TABLE transfers ALTER COLUMN seq SET DEFAULT nextval('transfers_seq'), ALTER COLUMN seq SET NOT NULL`,
];

const SQLITE_SEQ = [
  `ALTER TABLE transfers ADD COLUMN seq INTEGER`,
  `UPDATE transfers SET seq = rowid`,
  `CREATE TRIGGER transfers_seq AFTER INSERT ON transfers FOR EACH ROW WHEN NEW.seq IS NULL
   BEGIN UPDATE transfers SET seq = NEW.rowid WHERE rowid = NEW.rowid; END`,
];

/** Posted balances after each transfer, for both its accounts: a running sum per account in seq order. */
const BACKFILL = [
  `CREATE TEMPORARY TABLE statement_backfill AS
   SELECT id, side, SUM(delta) OVER (PARTITION BY account_id ORDER BY seq, side ROWS UNBOUNDED PRECEDING) AS balance
   FROM (
     SELECT id, seq, debit_account_id AS account_id, 0 AS side,
            CASE WHEN kind IN ('single', 'post_pending') THEN -amount_xof ELSE 0 END AS delta FROM transfers
     UNION ALL
     SELECT id, seq, credit_account_id AS account_id, 1 AS side,
            CASE WHEN kind IN ('single', 'post_pending') THEN amount_xof ELSE 0 END AS delta FROM transfers
   ) moves`,
  `CREATE INDEX statement_backfill_id ON statement_backfill (id, side)`,
  `UPDATE transfers SET
     debit_balance_after_xof = (SELECT b.balance FROM statement_backfill b WHERE b.id = transfers.id AND b.side = 0),
     credit_balance_after_xof = (SELECT b.balance FROM statement_backfill b WHERE b.id = transfers.id AND b.side = 1)`,
  `DROP TABLE statement_backfill`,
];

/** Recomputes every transfer's balances after it from the postings (also run by the tests against what `postTransfers` wrote). */
export async function backfillStatementBalances(db: Kysely<unknown>): Promise<void> {
  for (const statement of BACKFILL) await sql.raw(statement).execute(db);
}

export const statementMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = isPostgres(db);
    for (const statement of postgres ? POSTGRES_SEQ : SQLITE_SEQ) await sql.raw(statement).execute(db);
    await db.schema.alterTable('transfers').addColumn('debit_balance_after_xof', 'bigint').execute();
    await db.schema.alterTable('transfers').addColumn('credit_balance_after_xof', 'bigint').execute();
    await backfillStatementBalances(db);
    await db.schema
      .createIndex('transfers_debit_seq')
      .on('transfers')
      .columns(['debit_account_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('transfers_credit_seq')
      .on('transfers')
      .columns(['credit_account_id', 'seq'])
      .execute();
    await db.schema.dropIndex('transfers_debit').execute();
    await db.schema.dropIndex('transfers_credit').execute();
  },
};
