import { recordAudit } from '../../commands/console-users.js';
import { importStatement } from '../../commands/reconciliation.js';
import { OPERATORS, operatorById } from '../../core/operators.js';
import {
  RECONCILIATION_CATEGORIES,
  type ReconciliationCategory,
  STATEMENT_BYTES_MAX,
  STATEMENT_FORMATS,
  STATEMENT_ROWS_MAX,
  type StatementFormat,
  parseColumnMapping,
} from '../../core/reconciliation.js';
import { type SafeHtml, html } from '../../util/html.js';
import { type Viewer, csrfField, utc, xof } from './layout.js';
import { one } from './form.js';
import { type ConsoleRequest, type ConsoleRouter, type Outcome } from './router.js';
import { type FindingView, type ImportView, listImports, showImport } from '../../store/reconciliation.js';

/**
 * Reconciliation (ADR 0027): upload an operator's statement (CSV, size-limited), see every import,
 * and one import's mismatches with links to the transactions. The upload is the console's one
 * `multipart/form-data` form (multipart.ts); the import is one command with its audit line.
 */
const IMPORT_ID = /^rcn_[a-z2-7]{1,64}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

const LABELS: Record<ReconciliationCategory, string> = {
  matched: 'Matched',
  amount_mismatch: 'Amount differs',
  status_mismatch: 'Status differs',
  duplicate: 'Listed twice',
  missing_in_cauri: 'Missing in Cauri',
  missing_at_operator: 'Missing at the operator',
};

export function registerReconciliationPages(router: ConsoleRouter): void {
  router.page('/reconciliation', async (r) => listPage(r));
  router.action('/reconciliation', async (r) => upload(r));
  router.page('/reconciliation/:importId', async (r) => importPage(r));
}

function dayOf(raw: string, end: boolean): number | undefined | false {
  if (raw === '') return undefined;
  const ms = DAY.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== raw) return false;
  return end ? ms + DAY_MS - 1 : ms;
}

async function upload(r: ConsoleRequest): Promise<Outcome> {
  const file = r.files.statement;
  const operatorId = one(r.form, 'operator');
  const format = (one(r.form, 'format') || 'generic') as StatementFormat;
  if (file === undefined || file.content === '')
    return listPage(r, ['Choose the statement file (CSV) to import.']);
  if (operatorById(operatorId) === undefined || operatorId === '0')
    return listPage(r, ['Choose the operator whose statement this is.']);
  if (!STATEMENT_FORMATS.includes(format)) return listPage(r, ['Unknown statement format.']);
  const columns = parseColumnMapping(one(r.form, 'columns'));
  if (typeof columns === 'string') return listPage(r, [`Column names: ${columns}`]);
  const fromMs = dayOf(one(r.form, 'from'), false);
  const toMs = dayOf(one(r.form, 'to'), true);
  if (fromMs === false || toMs === false) return listPage(r, ['The period takes dates (YYYY-MM-DD).']);
  const outcome = await r.deps.db.command(async (tx) => {
    const imported = await importStatement(tx, {
      operatorId,
      fileName: file.filename === '' ? 'statement.csv' : file.filename,
      text: file.content,
      format,
      columns,
      importedBy: r.viewer.username,
      nowMs: r.nowMs,
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
    });
    if (imported.ok)
      await recordAudit(
        tx,
        {
          username: r.viewer.username,
          action: 'reconciliation_import',
          target: imported.importId,
          detail: `operator ${operatorId}, ${imported.linesCount} lines`,
          ip: r.ip,
        },
        r.nowMs,
      );
    return imported;
  });
  if (!outcome.ok) {
    const more =
      outcome.errorsCount > outcome.errors.length
        ? [`… and ${outcome.errorsCount - outcome.errors.length} more.`]
        : [];
    return listPage(r, [
      `${file.filename || 'The file'} was refused; nothing was imported.`,
      ...outcome.errors,
      ...more,
    ]);
  }
  return { redirect: `/console/reconciliation/${outcome.importId}?done=imported` };
}

async function listPage(r: ConsoleRequest, errors?: string[]): Promise<Outcome> {
  const imports = await r.deps.db.command((tx) => listImports(tx));
  const problems =
    errors === undefined
      ? ''
      : html`<div class="error" role="alert" id="upload-errors"><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>`;
  const body = html`${problems}${uploadForm(r.viewer, r.form)}
${imports.length === 0 ? html`<p>No statement imported yet.</p>` : importsTable(imports)}`;
  return {
    status: errors === undefined ? 200 : 400,
    page: { title: 'Reconciliation', section: 'reconciliation', body },
  };
}

function uploadForm(viewer: Viewer, form: Record<string, string[]>): SafeHtml {
  const chosen = one(form, 'operator');
  return html`<div class="card"><h2>Import an operator statement</h2>
<p class="muted">A CSV file of at most ${Math.round(STATEMENT_BYTES_MAX / 1024 / 1024)} MiB and ${STATEMENT_ROWS_MAX.toLocaleString('en-US')} lines, separated by <code>;</code> or <code>,</code>, with a header line naming the columns reference (or transaction_id), amount, status, and optionally date and msisdn; French names (référence, montant, statut) are understood too. Lines are compared by reference with Cauri's payouts and payins to that operator.</p>
<form method="post" action="/console/reconciliation" enctype="multipart/form-data" class="stack">${csrfField(viewer)}
<label for="rc-operator">Operator</label><select id="rc-operator" name="operator" required><option value="">Choose…</option>${OPERATORS.map((op) => html`<option value="${op.id}"${op.id === chosen ? html` selected` : ''}>${op.name} (#${op.id})</option>`)}</select>
<label for="rc-file">Statement file (CSV)</label><input id="rc-file" name="statement" type="file" accept=".csv,text/csv" required>
<label for="rc-format">Format</label><select id="rc-format" name="format">${STATEMENT_FORMATS.map((f) => html`<option value="${f}">${f}</option>`)}</select>
<label for="rc-columns">Column names, when the header differs (optional, e.g. reference=Ref partenaire,amount=Montant)</label><input id="rc-columns" name="columns" type="text" maxlength="400" value="${one(form, 'columns')}">
<label for="rc-from">Period from (optional; default: the statement's first day)</label><input id="rc-from" name="from" type="date" value="${one(form, 'from')}">
<label for="rc-to">Period to (optional; default: its last day)</label><input id="rc-to" name="to" type="date" value="${one(form, 'to')}">
<div><button type="submit">Import and compare</button></div></form></div>`;
}

function importsTable(imports: readonly ImportView[]): SafeHtml {
  return html`<div class="table-wrap"><table>
<caption>The ${imports.length} newest imports</caption>
<thead><tr><th scope="col">Import</th><th scope="col">Operator</th><th scope="col">Period</th><th scope="col" class="num">Lines</th><th scope="col" class="num">Mismatches</th><th scope="col">File</th><th scope="col">Imported</th></tr></thead>
<tbody>${imports.map(
    (i) =>
      html`<tr><td><a href="/console/reconciliation/${i.id}">${i.id}</a></td><td>${operatorById(i.operatorId)?.name ?? i.operatorId}</td><td>${utc(i.fromMs).slice(0, 10)} – ${utc(i.toMs).slice(0, 10)}</td><td class="num">${i.linesCount}</td><td class="num">${i.mismatchesCount === 0 ? html`<span class="badge ok">0</span>` : html`<span class="badge ko">${i.mismatchesCount}</span>`}</td><td>${i.fileName}</td><td>${utc(i.createdAtMs)} by ${i.importedBy}</td></tr>`,
  )}</tbody></table></div>`;
}

async function importPage(r: ConsoleRequest): Promise<Outcome> {
  const importId = r.params.importId ?? '';
  const categoryRaw = r.query.category ?? '';
  const category = RECONCILIATION_CATEGORIES.find((c) => c === categoryRaw);
  const options = categoryRaw === 'all' ? { all: true } : category !== undefined ? { category } : {};
  const shown = IMPORT_ID.test(importId)
    ? await r.deps.db.command((tx) => showImport(tx, importId, options))
    : undefined;
  if (shown === undefined)
    return {
      status: 404,
      page: {
        title: 'No such import',
        section: 'reconciliation',
        body: html`<p>There is no such import. <a href="/console/reconciliation">Back to the imports</a>.</p>`,
      },
    };
  const view = shown.import;
  const counts = html`<ul class="counts">${RECONCILIATION_CATEGORIES.map(
    (c) =>
      html`<li><a href="/console/reconciliation/${view.id}?category=${c}"${c === category ? html` aria-current="true"` : ''}>${LABELS[c]}: <strong>${view.summary[c] ?? 0}</strong></a></li>`,
  )}<li><a href="/console/reconciliation/${view.id}?category=all">Every line</a></li></ul>`;
  const heading =
    categoryRaw === 'all' ? 'Every line' : category !== undefined ? LABELS[category] : 'Mismatches';
  const body = html`<p>${operatorById(view.operatorId)?.name ?? view.operatorId}, ${utc(view.fromMs).slice(0, 10)} to ${utc(view.toMs).slice(0, 10)}: ${view.linesCount} statement lines from <code>${view.fileName}</code>, imported ${utc(view.createdAtMs)} by ${view.importedBy}.</p>
${counts}
<h2>${heading}</h2>
${shown.findings.length === 0 ? html`<p>${category === undefined && categoryRaw !== 'all' ? 'No mismatches: the statement and Cauri agree.' : 'None.'}</p>` : findingsTable(shown.findings)}
${shown.truncated ? html`<p class="muted">Only the first lines are shown; choose a category to narrow the list.</p>` : ''}
<p><a href="/console/reconciliation">Back to the imports</a></p>`;
  return {
    page: {
      title: `Import ${view.id}`,
      section: 'reconciliation',
      body,
      notice:
        r.query.done === 'imported'
          ? `Statement imported: ${view.mismatchesCount} mismatch${view.mismatchesCount === 1 ? '' : 'es'}.`
          : undefined,
    },
  };
}

function findingsTable(findings: readonly FindingView[]): SafeHtml {
  const amount = (v: number | null) => (v === null ? '—' : xof(v));
  return html`<div class="table-wrap"><table id="findings">
<thead><tr><th scope="col">Finding</th><th scope="col" class="num">Line</th><th scope="col">Reference</th><th scope="col" class="num">Operator amount</th><th scope="col" class="num">Cauri amount</th><th scope="col">Operator status</th><th scope="col">Cauri status</th><th scope="col">Date</th></tr></thead>
<tbody>${findings.map((f) => {
    const subject = f.subjectId === null ? null : (f.subjectId.split('.', 1)[0] ?? f.subjectId);
    return html`<tr data-category="${f.category}"><td><span class="badge ${f.category === 'matched' ? 'ok' : 'ko'}">${LABELS[f.category]}</span></td><td class="num">${f.lineNo ?? '—'}</td><td>${subject === null ? f.reference : html`<a href="/console/transactions/${subject}">${f.reference}</a>`}</td><td class="num">${amount(f.operatorAmountXof)}</td><td class="num">${amount(f.cauriAmountXof)}</td><td>${f.operatorStatus ?? '—'}</td><td>${f.cauriStatus ?? '—'}</td><td>${utc(f.occurredAtMs)}</td></tr>`;
  })}</tbody></table></div>`;
}
