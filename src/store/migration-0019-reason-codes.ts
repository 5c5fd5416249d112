import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Issue 13: a payin's or payout's reason is a code from a closed list (src/core/payin.ts,
 * src/core/payout.ts) beside its prose, so that code decides on the code and people read the
 * prose. Existing rows get the code their prose was written for; the prose stays as it was, since
 * the wire (a failed payout's `description`) and the console show it.
 */
const PAYIN_CODES: ReadonlyArray<readonly [string, string]> = [
  ['cancelled by the customer', 'customer_cancelled'],
  ['payment page expired unused%', 'page_expired'],
  ['the customer left the payment page%', 'customer_left'],
  ['operator call failed%', 'operator_call_failed'],
  ['attempt % refused by the operator%', 'attempt_refused'],
  ['operator still pending after %', 'operator_pending_review'],
  ['operator still pending at status query%', 'operator_pending'],
  ['awaiting %', 'awaiting_operator'],
];

const PAYOUT_CODES: ReadonlyArray<readonly [string, string]> = [
  ['awaiting operator', 'awaiting_operator'],
  ['operator still pending after %', 'operator_pending_review'],
  ['queued: operator % unavailable%', 'operator_unavailable'],
];

/** Gives each payin and payout with prose but no code the code its prose was written for. */
export async function backfillReasonCodes(db: Kysely<unknown>): Promise<void> {
  await backfill(db, 'payins', PAYIN_CODES);
  await backfill(db, 'payouts', PAYOUT_CODES);
}

async function backfill(
  db: Kysely<unknown>,
  table: 'payins' | 'payouts',
  codes: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  for (const [pattern, code] of codes) {
    await sql`UPDATE ${sql.table(table)} SET status_reason_code = ${code}
      WHERE status_reason_code IS NULL AND status_reason LIKE ${pattern}`.execute(db);
  }
  // Whatever else a final failure recorded is the operator's own reason.
  await sql`UPDATE ${sql.table(table)} SET status_reason_code = 'operator_failed'
    WHERE status_reason_code IS NULL AND status_reason IS NOT NULL AND status = 'notcompleted'`.execute(db);
  await sql`UPDATE ${sql.table(table)} SET status_reason_code = 'other'
    WHERE status_reason_code IS NULL AND status_reason IS NOT NULL`.execute(db);
}

export const reasonCodesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('payins').addColumn('status_reason_code', 'text').execute();
    await db.schema.alterTable('payouts').addColumn('status_reason_code', 'text').execute();
    await backfillReasonCodes(db);
  },
};
