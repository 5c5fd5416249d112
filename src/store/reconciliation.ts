import type { Finding, OperatorLineStatus, ReconciliationCategory } from '../core/reconciliation.js';
import type { Tx } from './database.js';
import type { ReconciliationImportTable, ReconciliationLineTable } from './schema-operators.js';

/**
 * Reconciliation's storage (ADR 0027): the payins and payouts a statement is compared with, and
 * the imports with the findings of each comparison.
 */
const IN_CHUNK = 500;
const INSERT_CHUNK = 200;
/** Cauri's completed transactions read for "missing at the operator" over one period, at most. */
export const PERIOD_RECORDS_MAX = 50_000;
export const IMPORTS_LISTED_MAX = 100;
export const FINDINGS_SHOWN_MAX = 1_000;

/** A payout as the comparison reads it. */
export interface PayoutToReconcile {
  id: string;
  amount_xof: number;
  status: string;
  operator_reference: string | null;
  updated_at_ms: number;
}

/** A payin as the comparison reads it, with its last operator request (`attempt`, null before any). */
export interface PayinToReconcile {
  id: string;
  amount_xof: number;
  status: string;
  attempt: number | null;
  operator_reference: string | null;
  updated_at_ms: number;
}

/**
 * The payouts and payins to this operator a statement names (by Cauri's reference or the
 * operator's, `refs`; payins also by id, `payinIds`), and those completed within the period, by id.
 */
export async function transactionsToReconcile(
  tx: Tx,
  operatorId: string,
  refs: readonly string[],
  payinIds: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<{ payouts: Map<string, PayoutToReconcile>; payins: Map<string, PayinToReconcile> }> {
  const payoutColumns = ['id', 'amount_xof', 'status', 'operator_reference', 'updated_at_ms'] as const;
  const payouts = new Map<string, PayoutToReconcile>();
  const payins = new Map<string, PayinToReconcile>();
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
  return { payouts, payins };
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

export interface FindingView extends Finding {
  seq: number;
}

/** Saves an import and its findings, numbered from 1 in their order, in chunks of inserts. */
export async function saveReconciliation(
  tx: Tx,
  view: ImportView,
  findings: readonly Finding[],
): Promise<void> {
  const row: ReconciliationImportTable = {
    id: view.id,
    operator_id: view.operatorId,
    file_name: view.fileName,
    format: view.format,
    from_ms: view.fromMs,
    to_ms: view.toMs,
    lines_count: view.linesCount,
    mismatches_count: view.mismatchesCount,
    summary: JSON.stringify(view.summary),
    imported_by: view.importedBy,
    created_at_ms: view.createdAtMs,
  };
  await tx.insertInto('reconciliation_imports').values(row).execute();
  const rows = findings.map((f, i) => findingRow(view.id, i + 1, f));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await tx
      .insertInto('reconciliation_lines')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
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
