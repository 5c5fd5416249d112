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
import type { ReconciliationImportTable, ReconciliationLineTable } from '../store/schema-operators.js';

/**
 * Imports an operator statement and keeps what its comparison with Cauri's payins and payouts found
 * (ADR 0027), in one command: the import and its findings are written together or not at all. A
 * statement with any line that cannot be read is refused whole, with the line numbers, and nothing
 * is written.
 */
const IN_CHUNK = 500;
const INSERT_CHUNK = 200;
/** Cauri's completed transactions read for "missing at the operator" over one period, at most. */
export const PERIOD_RECORDS_MAX = 50_000;
export const IMPORTS_LISTED_MAX = 100;
export const FINDINGS_SHOWN_MAX = 1_000;

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
  const row: ReconciliationImportTable = {
    id: importId,
    operator_id: input.operatorId,
    file_name: input.fileName.slice(0, 200),
    format: input.format,
    from_ms: fromMs,
    to_ms: toMs,
    lines_count: read.lines.length,
    mismatches_count: findings.length - summary.matched,
    summary: JSON.stringify(summary),
    imported_by: input.importedBy.slice(0, 200),
    created_at_ms: input.nowMs,
  };
  await tx.insertInto('reconciliation_imports').values(row).execute();
  const rows = findings.map((f, i) => findingRow(importId, i + 1, f));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await tx
      .insertInto('reconciliation_lines')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
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

function findingRow(importId: string, seq: number, f: Finding): ReconciliationLineTable {
  return {
    import_id: importId,
    seq,
    line_no: f.lineNo,
    category: f.category,
    reference: f.reference,
    subject_id: f.subjectId,
    operator_amount_xof: f.operatorAmountXof,
    cauri_amount_xof: f.cauriAmountXof,
    operator_status: f.operatorStatus,
    cauri_status: f.cauriStatus,
    msisdn: f.msisdn,
    occurred_at_ms: f.occurredAtMs,
  };
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
  const payoutColumns = ['id', 'amount_xof', 'status', 'operator_reference', 'updated_at_ms'] as const;
  const payouts = new Map<
    string,
    {
      id: string;
      amount_xof: number;
      status: string;
      operator_reference: string | null;
      updated_at_ms: number;
    }
  >();
  const payins = new Map<
    string,
    {
      id: string;
      amount_xof: number;
      status: string;
      attempt: number | null;
      operator_reference: string | null;
      updated_at_ms: number;
    }
  >();
  const payinQuery = () =>
    tx
      .selectFrom('payins')
      .leftJoin('invoices', 'invoices.payin_id', 'payins.id')
      .select([
        'payins.id',
        'payins.amount_xof',
        'payins.status',
        'invoices.attempt',
        'invoices.operator_reference',
        'payins.updated_at_ms',
      ])
      .where('payins.operator_id', '=', operatorId);
  for (let i = 0; i < Math.max(refs.length, payinIds.length); i += IN_CHUNK) {
    const chunk = refs.slice(i, i + IN_CHUNK);
    const ids = payinIds.slice(i, i + IN_CHUNK);
    if (chunk.length > 0) {
      const found = await tx
        .selectFrom('payouts')
        .select(payoutColumns)
        .where('operator_id', '=', operatorId)
        .where((eb) => eb.or([eb('id', 'in', chunk), eb('operator_reference', 'in', chunk)]))
        .execute();
      for (const p of found) payouts.set(p.id, p);
    }
    const byRef =
      chunk.length === 0
        ? []
        : await payinQuery().where('invoices.operator_reference', 'in', chunk).execute();
    const byId = ids.length === 0 ? [] : await payinQuery().where('payins.id', 'in', ids).execute();
    for (const p of [...byRef, ...byId]) payins.set(p.id, p);
  }
  const completedPayouts = await tx
    .selectFrom('payouts')
    .select(payoutColumns)
    .where('operator_id', '=', operatorId)
    .where('status', '=', 'completed')
    .where('updated_at_ms', '>=', fromMs)
    .where('updated_at_ms', '<=', toMs)
    .limit(PERIOD_RECORDS_MAX)
    .execute();
  for (const p of completedPayouts) payouts.set(p.id, p);
  const completedPayins = await payinQuery()
    .where('payins.status', '=', 'completed')
    .where('payins.updated_at_ms', '>=', fromMs)
    .where('payins.updated_at_ms', '<=', toMs)
    .limit(PERIOD_RECORDS_MAX)
    .execute();
  for (const p of completedPayins) payins.set(p.id, p);
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

export interface ImportView {
  id: string;
  operatorId: string;
  fileName: string;
  format: string;
  fromMs: number;
  toMs: number;
  linesCount: number;
  mismatchesCount: number;
  summary: Record<string, number>;
  importedBy: string;
  createdAtMs: number;
}

function importView(row: ReconciliationImportTable): ImportView {
  return {
    id: row.id,
    operatorId: row.operator_id,
    fileName: row.file_name,
    format: row.format,
    fromMs: Number(row.from_ms),
    toMs: Number(row.to_ms),
    linesCount: Number(row.lines_count),
    mismatchesCount: Number(row.mismatches_count),
    summary: JSON.parse(row.summary) as Record<string, number>,
    importedBy: row.imported_by,
    createdAtMs: Number(row.created_at_ms),
  };
}

export async function listImports(tx: Tx, limit = IMPORTS_LISTED_MAX): Promise<ImportView[]> {
  const rows = await tx
    .selectFrom('reconciliation_imports')
    .selectAll()
    .orderBy('created_at_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(limit, IMPORTS_LISTED_MAX))
    .execute();
  return rows.map(importView);
}

export interface FindingView extends Finding {
  seq: number;
}

/** An import and its findings: the mismatches only unless `all`, at most `FINDINGS_SHOWN_MAX`. */
export async function showImport(
  tx: Tx,
  importId: string,
  options: { all?: boolean; category?: ReconciliationCategory } = {},
): Promise<{ import: ImportView; findings: FindingView[]; truncated: boolean } | undefined> {
  const row = await tx
    .selectFrom('reconciliation_imports')
    .selectAll()
    .where('id', '=', importId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  let query = tx
    .selectFrom('reconciliation_lines')
    .selectAll()
    .where('import_id', '=', importId)
    .orderBy('seq')
    .limit(FINDINGS_SHOWN_MAX + 1);
  if (options.category !== undefined) query = query.where('category', '=', options.category);
  else if (options.all !== true) query = query.where('category', '!=', 'matched');
  const lines = await query.execute();
  const findings = lines.slice(0, FINDINGS_SHOWN_MAX).map((l) => ({
    seq: Number(l.seq),
    category: l.category as ReconciliationCategory,
    lineNo: l.line_no === null ? null : Number(l.line_no),
    reference: l.reference,
    subjectId: l.subject_id,
    operatorAmountXof: l.operator_amount_xof === null ? null : Number(l.operator_amount_xof),
    cauriAmountXof: l.cauri_amount_xof === null ? null : Number(l.cauri_amount_xof),
    operatorStatus: l.operator_status as OperatorLineStatus | null,
    cauriStatus: l.cauri_status as OperatorLineStatus | null,
    msisdn: l.msisdn,
    occurredAtMs: l.occurred_at_ms === null ? null : Number(l.occurred_at_ms),
  }));
  return { import: importView(row), findings, truncated: lines.length > FINDINGS_SHOWN_MAX };
}
