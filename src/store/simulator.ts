import { oneOf } from '../core/assert.js';
import { newId } from '../core/ids.js';
import { xof } from '../core/money.js';
import {
  SIM_DEBIT_KINDS,
  SIM_DEBIT_STATUSES,
  type SimDebit,
  type SimDebitKind,
  type SimDebitStatus,
} from '../core/sim-debit.js';
import type { Tx } from './database.js';
import type { SimDebitTable, SimUssdCodeTable } from './schema-payin-surface.js';

/**
 * The simulated operators' back office as stored: the debits they were asked for (`sim_debits`),
 * the credits they received (`sim_credits`), the USSD payment codes they issued
 * (`sim_ussd_codes`), and the SMS the sandbox inbox keeps for the console.
 */

/** The one mapping of a `sim_debits` row to the core's `SimDebit`: a kind or status outside the unions is a bug. */
function simDebitFromRow(row: SimDebitTable): SimDebit {
  return {
    id: row.id,
    reference: row.reference,
    operatorId: row.operator_id,
    phone: row.phone,
    amountXof: xof(Number(row.amount_xof)),
    kind: oneOf(SIM_DEBIT_KINDS, row.kind, 'simulated debit kind', row.id),
    status: oneOf(SIM_DEBIT_STATUSES, row.status, 'simulated debit status', row.id),
    reason: row.reason,
    operatorReference: row.operator_reference,
    merchantName: row.merchant_name,
    description: row.description,
    returnUrl: row.return_url,
    createdAtMs: Number(row.created_at_ms),
    decidedAtMs: row.decided_at_ms === null ? null : Number(row.decided_at_ms),
  };
}

function simDebitToRow(debit: SimDebit): SimDebitTable {
  return {
    id: debit.id,
    reference: debit.reference,
    operator_id: debit.operatorId,
    phone: debit.phone,
    amount_xof: debit.amountXof,
    kind: debit.kind,
    status: debit.status,
    reason: debit.reason,
    operator_reference: debit.operatorReference,
    merchant_name: debit.merchantName,
    description: debit.description,
    return_url: debit.returnUrl,
    created_at_ms: debit.createdAtMs,
    decided_at_ms: debit.decidedAtMs,
  };
}

/** A debit request by Cauri's reference. */
export async function findSimDebitByReference(tx: Tx, reference: string): Promise<SimDebit | undefined> {
  const row = await tx
    .selectFrom('sim_debits')
    .selectAll()
    .where('reference', '=', reference)
    .executeTakeFirst();
  return row === undefined ? undefined : simDebitFromRow(row);
}

/** A debit request by its id (`PSH…`) or Cauri reference. */
export async function findSimDebit(tx: Tx, idOrReference: string): Promise<SimDebit | undefined> {
  const row = await tx
    .selectFrom('sim_debits')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrReference), eb('reference', '=', idOrReference)]))
    .executeTakeFirst();
  return row === undefined ? undefined : simDebitFromRow(row);
}

export async function insertSimDebit(tx: Tx, debit: SimDebit): Promise<void> {
  await tx.insertInto('sim_debits').values(simDebitToRow(debit)).execute();
}

/** The number's pending guided USSD and push requests, oldest first. */
export async function pendingSimDebitsToDial(tx: Tx, phone: string): Promise<SimDebit[]> {
  const rows = await tx
    .selectFrom('sim_debits')
    .selectAll()
    .where('phone', '=', phone)
    .where('status', '=', 'pending')
    .where('kind', 'in', ['guided', 'push'])
    .orderBy('created_at_ms')
    .orderBy('id')
    .execute();
  return rows.map(simDebitFromRow);
}

/** Pending requests of these kinds, oldest first, at most `limit`; of one number when `phone` is given. */
export async function pendingSimDebits(
  tx: Tx,
  kinds: readonly SimDebitKind[],
  phone: string | undefined,
  limit: number,
): Promise<SimDebit[]> {
  let query = tx
    .selectFrom('sim_debits')
    .selectAll()
    .where('status', '=', 'pending')
    .where('kind', 'in', [...kinds])
    .orderBy('created_at_ms')
    .orderBy('id')
    .limit(limit);
  if (phone !== undefined) query = query.where('phone', '=', phone);
  return (await query.execute()).map(simDebitFromRow);
}

/**
 * Decides a pending request; false when it was no longer pending (only a pending request changes,
 * so two deciders cannot both win).
 */
export async function decideSimDebit(
  tx: Tx,
  id: string,
  status: Exclude<SimDebitStatus, 'pending'>,
  reason: string | null,
  nowMs: number,
): Promise<boolean> {
  const updated = await tx
    .updateTable('sim_debits')
    .set({ status, reason, decided_at_ms: nowMs })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

export async function getSimDebit(tx: Tx, id: string): Promise<SimDebit> {
  return simDebitFromRow(
    await tx.selectFrom('sim_debits').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  );
}

/** A credit the simulated operator received; a repeat of a reference is the same credit: the first is kept. */
export async function insertSimCredit(
  tx: Tx,
  credit: { reference: string; operatorId: string; phone: string; amountXof: number; nowMs: number },
): Promise<void> {
  await tx
    .insertInto('sim_credits')
    .values({
      reference: credit.reference,
      operator_id: credit.operatorId,
      phone: credit.phone,
      amount_xof: credit.amountXof,
      created_at_ms: credit.nowMs,
    })
    .onConflict((oc) => oc.column('reference').doNothing())
    .execute();
}

/** The number a credit was sent to, if the simulated operator received it. */
export async function findSimCreditPhone(tx: Tx, reference: string): Promise<string | undefined> {
  return (
    await tx.selectFrom('sim_credits').select('phone').where('reference', '=', reference).executeTakeFirst()
  )?.phone;
}

export async function findUssdCode(tx: Tx, phone: string): Promise<SimUssdCodeTable | undefined> {
  return await tx.selectFrom('sim_ussd_codes').selectAll().where('phone', '=', phone).executeTakeFirst();
}

/** Stores the number's payment code, replacing any earlier one with its attempts. */
export async function saveUssdCode(tx: Tx, row: SimUssdCodeTable): Promise<void> {
  await tx
    .insertInto('sim_ussd_codes')
    .values(row)
    .onConflict((oc) =>
      oc.column('phone').doUpdateSet({
        operator_id: row.operator_id,
        code_hash: row.code_hash,
        expires_at_ms: row.expires_at_ms,
        attempts: 0,
        created_at_ms: row.created_at_ms,
      }),
    )
    .execute();
}

export async function deleteUssdCode(tx: Tx, phone: string): Promise<void> {
  await tx.deleteFrom('sim_ussd_codes').where('phone', '=', phone).execute();
}

export async function setUssdCodeAttempts(tx: Tx, phone: string, attempts: number): Promise<void> {
  await tx.updateTable('sim_ussd_codes').set({ attempts }).where('phone', '=', phone).execute();
}

/** An SMS the sandbox inbox keeps (the simulated phone's screen, for the console). */
export async function insertSandboxSms(tx: Tx, phone: string, body: string, nowMs: number): Promise<void> {
  await tx
    .insertInto('sms')
    .values({ id: newId('sms'), phone, body, created_at_ms: nowMs })
    .execute();
}

/** The latest SMS of the sandbox inbox, newest first. */
export async function latestSandboxSms(
  tx: Tx,
  limit: number,
): Promise<Array<{ phone: string; body: string }>> {
  return await tx
    .selectFrom('sms')
    .selectAll()
    .orderBy('created_at_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
