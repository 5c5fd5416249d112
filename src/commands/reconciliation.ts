import { newId } from '../core/ids.js';
import { WALLET_OPERATOR, operatorById } from '../core/operators.js';
import {
  type CauriRecord,
  type Finding,
  type OperatorLineStatus,
  RECONCILIATION_CATEGORIES,
  type ReconciliationCategory,
  type StatementColumn,
  type StatementFormat,
  type StatementLine,
  readStatement,
  reconcile,
  statementPeriod,
} from '../core/reconciliation.js';
import type { Tx } from '../store/database.js';
import { saveReconciliation, transactionsToReconcile } from '../store/reconciliation.js';

/**
 * Imports an operator statement and keeps what its comparison with Cauri's payins and payouts found
 * (ADR 0027), in one command: the import and its findings are written together or not at all. A
 * statement with any line that cannot be read is refused whole, with the line numbers, and nothing
 * is written.
 */

export interface ImportInput {
  operatorId: string;
  fileName: string;
  text: string;
  format: StatementFormat;
  columns?: Partial<Record<StatementColumn, string>>;
  fromMs?: number;
  toMs?: number;
  importedBy: string;
  nowMs: number;
}

export type ImportOutcome =
  | {
      ok: true;
      importId: string;
      summary: Record<ReconciliationCategory, number>;
      linesCount: number;
      fromMs: number;
      toMs: number;
    }
  | { ok: false; errors: string[]; errorsCount: number };

export async function importStatement(tx: Tx, input: ImportInput): Promise<ImportOutcome> {
  const refused = (error: string): ImportOutcome => ({ ok: false, errors: [error], errorsCount: 1 });
  if (operatorById(input.operatorId) === undefined || input.operatorId === WALLET_OPERATOR.id)
    return refused(`unknown operator "${input.operatorId}"`);
  const read = readStatement(input.text, input.format, input.columns ?? {});
  if (!read.ok) return read;
  const derived = statementPeriod(read.lines);
  const fromMs = input.fromMs ?? derived?.fromMs;
  const toMs = input.toMs ?? derived?.toMs;
  if (fromMs === undefined || toMs === undefined)
    return refused('the statement has no dates: give the period it covers (from and to)');
  if (fromMs > toMs) return refused('the period ends before it starts');
  const records = await cauriRecords(tx, input.operatorId, read.lines, fromMs, toMs);
  const findings = reconcile(read.lines, records, fromMs, toMs);
  const summary = countByCategory(findings);
  const importId = newId('rcn', input.nowMs);
  await saveReconciliation(
    tx,
    {
      id: importId,
      operatorId: input.operatorId,
      fileName: input.fileName.slice(0, 200),
      format: input.format,
      fromMs,
      toMs,
      linesCount: read.lines.length,
      mismatchesCount: findings.length - summary.matched,
      summary,
      importedBy: input.importedBy.slice(0, 200),
      createdAtMs: input.nowMs,
    },
    findings,
  );
  return { ok: true, importId, summary, linesCount: read.lines.length, fromMs, toMs };
}

function countByCategory(findings: readonly Finding[]): Record<ReconciliationCategory, number> {
  const summary = Object.fromEntries(RECONCILIATION_CATEGORIES.map((c) => [c, 0])) as Record<
    ReconciliationCategory,
    number
  >;
  for (const f of findings) summary[f.category]++;
  return summary;
}

function statusOf(status: string): OperatorLineStatus {
  if (status === 'completed') return 'completed';
  return status === 'pending' ? 'pending' : 'failed';
}

/**
 * Cauri's side: the payouts and payins to this operator the statement names (by Cauri's reference
 * or the operator's), and those completed within the period (for "missing at the operator"). A
 * payin's operator requests are `<payin id>.<attempt>`; the earlier attempts of a payin were given
 * up (failed) when a new one was made, so each attempt is a record of its own.
 */
async function cauriRecords(
  tx: Tx,
  operatorId: string,
  lines: readonly StatementLine[],
  fromMs: number,
  toMs: number,
): Promise<CauriRecord[]> {
  const refs = [...new Set(lines.flatMap((l) => [l.reference, l.operatorReference]).filter((r) => r !== ''))];
  const payinIds = [
    ...new Set(refs.map((r) => r.split('.', 1)[0] ?? '').filter((r) => r.startsWith('pay_'))),
  ];
  const { payouts, payins } = await transactionsToReconcile(tx, operatorId, refs, payinIds, fromMs, toMs);
  const records: CauriRecord[] = [];
  for (const p of payouts.values()) {
    records.push({
      subjectId: p.id,
      references: [p.id, p.operator_reference ?? ''],
      amountXof: Number(p.amount_xof),
      status: statusOf(p.status),
      atMs: Number(p.updated_at_ms),
    });
  }
  for (const p of payins.values()) {
    const last = p.attempt ?? 1;
    for (let attempt = 1; attempt < last; attempt++) {
      records.push({
        subjectId: `${p.id}.${attempt}`,
        references: [`${p.id}.${attempt}`],
        amountXof: Number(p.amount_xof),
        status: 'failed',
        atMs: Number(p.updated_at_ms),
      });
    }
    records.push({
      subjectId: `${p.id}.${last}`,
      references: [`${p.id}.${last}`, p.operator_reference ?? ''],
      amountXof: Number(p.amount_xof),
      status: statusOf(p.status),
      atMs: Number(p.updated_at_ms),
    });
  }
  return records;
}
