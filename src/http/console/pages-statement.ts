import { type ProjectBalances, type StatementPage, projectBalances } from '../../commands/merchant-money.js';
import { type Project } from '../../core/project.js';
import { projectChoices } from '../../commands/projects.js';
import { ALL_OPERATORS, operatorById } from '../../core/operators.js';
import { type StatementEntry, statementCsv } from '../../core/statement.js';
import type { Tx } from '../../store/database.js';
import { findProjectById } from '../../store/projects.js';
import { type SafeHtml, html } from '../../util/html.js';
import { STATEMENT_CSV_LIMIT_MAX, readStatement, statementCursor } from '../routes/merchant-money.js';
import { badge, utc, xof } from './layout.js';
import type { ConsoleRequest, ConsoleRouter, Outcome } from './router.js';

/**
 * A project's money in the console (ADR 0023): the balances of its operator sub-accounts and its
 * statement, with the filters, the cursor and the CSV of the merchant API (routes/merchant-money.ts)
 * so that the operator sees exactly what the merchant reads. Days are UTC and `to` includes its day.
 *
 *   GET /console/statement?project=&from=&to=&operator=&type=&cursor=
 *   GET /console/statement.csv?…same filters…   up to 10,000 entries, newest first
 */
const PAGE_ENTRIES = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const FILTERS = ['from', 'to', 'operator', 'type'] as const;

export function registerStatementPages(router: ConsoleRouter): void {
  router.page('/statement', async (r) => statementView(r));
  router.page('/statement.csv', async (r) => statementDownload(r));
}

/** The console's filters as the API's query string: empty fields dropped, `to` a whole UTC day. */
function apiQuery(query: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FILTERS) {
    const value = (query[name] ?? '').trim();
    if (value === '') continue;
    out[name] =
      name === 'to' && DAY.test(value) && Number.isFinite(Date.parse(`${value}T00:00:00Z`))
        ? nextDay(value)
        : value;
  }
  return { ...out, ...extra };
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

async function projectOf(tx: Tx, id: string | undefined): Promise<Project | undefined> {
  if (id === undefined || id === '') return undefined;
  return await findProjectById(tx, id);
}

async function statementView(r: ConsoleRequest): Promise<Outcome> {
  const { projects, project, balances, read } = await r.deps.db.command(async (tx) => {
    const project = await projectOf(tx, r.query.project);
    const extra: Record<string, string> = { limit: String(PAGE_ENTRIES) };
    if ((r.query.cursor ?? '') !== '') extra.cursor = r.query.cursor ?? '';
    return {
      projects: await projectChoices(tx),
      project,
      balances: project ? await projectBalances(tx, project) : undefined,
      read: project ? await readStatement(tx, project, apiQuery(r.query, extra)) : undefined,
    };
  });
  const error =
    read !== undefined && 'response_code' in read
      ? read.description
      : (r.query.project ?? '') !== '' && project === undefined
        ? 'No such project.'
        : undefined;
  const page = read !== undefined && 'page' in read ? read.page : undefined;
  const body = html`${filterForm(r.query, projects)}
${project && balances ? balanceTable(project, balances) : html`<p>Choose a project to see its balances and statement.</p>`}
${project && page ? statementTable(r.query, project, page) : ''}`;
  return {
    status: error === undefined ? 200 : 400,
    page: { title: project ? `Statement: ${project.name}` : 'Statement', section: 'statement', body, error },
  };
}

async function statementDownload(r: ConsoleRequest): Promise<Outcome> {
  const result = await r.deps.db.command(async (tx) => {
    const project = await projectOf(tx, r.query.project);
    if (!project) return { error: 'No such project.' };
    // One page of the API's largest CSV size: one snapshot, one bounded read.
    const read = await readStatement(
      tx,
      project,
      apiQuery(r.query, { format: 'csv', limit: String(STATEMENT_CSV_LIMIT_MAX) }),
    );
    if ('response_code' in read) return { error: read.description };
    return { project, page: read.page };
  });
  if ('error' in result)
    return {
      status: 400,
      page: {
        title: 'Statement',
        section: 'statement',
        body: html`<p><a href="/console/statement">Back to the statement</a>.</p>`,
        error: result.error,
      },
    };
  await r.audit(
    'statement_export',
    result.project.id,
    `${result.page.entries.length} entries${result.page.next ? ', more not included' : ''}`,
  );
  const day = new Date(r.nowMs).toISOString().slice(0, 10);
  return {
    file: {
      contentType: 'text/csv; charset=utf-8',
      filename: `statement-${result.project.id}-${day}.csv`,
      body: statementCsv(result.page.entries),
    },
  };
}

function filterForm(query: Record<string, string>, projects: { id: string; name: string }[]): SafeHtml {
  const value = (name: string) => query[name] ?? '';
  const input = (name: string, label: string, type: string, extra: SafeHtml | string = '') =>
    html`<div><label for="s-${name}">${label}</label><input id="s-${name}" name="${name}" type="${type}" value="${value(name)}" maxlength="400"${extra}></div>`;
  const select = (name: string, label: string, options: Array<[string, string]>, any: string | undefined) =>
    html`<div><label for="s-${name}">${label}</label><select id="s-${name}" name="${name}">${any !== undefined ? html`<option value="">${any}</option>` : ''}${options.map(([v, text]) => html`<option value="${v}"${v === value(name) ? html` selected` : ''}>${text}</option>`)}</select></div>`;
  return html`<form method="get" action="/console/statement" class="filters card" role="search" aria-label="Statement filters">
${select(
  'project',
  'Project',
  projects.map((p) => [p.id, p.name]),
  'Choose…',
)}
${input('from', 'From (UTC day)', 'date')}
${input('to', 'To (UTC day, included)', 'date')}
${select(
  'operator',
  'Operator',
  ALL_OPERATORS.map((op) => [op.id, op.name]),
  'Any',
)}
${input('type', 'Types (comma-separated)', 'search', html` placeholder="payout,wallet_payment"`)}
<div><button type="submit">Show</button> <a href="/console/statement">Clear</a></div>
</form>`;
}

function balanceTable(project: Project, view: ProjectBalances): SafeHtml {
  const t = view.totals;
  return html`<div class="table-wrap"><table><caption>Balances of ${project.name} (<code>${project.id}</code>)</caption>
<thead><tr><th scope="col">Operator</th><th scope="col" class="num">Posted</th><th scope="col" class="num">Held</th><th scope="col" class="num">Incoming</th><th scope="col" class="num">Available</th></tr></thead>
<tbody>${view.balances.map(
    (b) =>
      html`<tr><th scope="row">${b.operatorName} <span class="muted">(${b.operatorId})</span></th><td class="num">${xof(b.postedXof)}</td><td class="num">${xof(b.heldXof)}</td><td class="num">${xof(b.incomingXof)}</td><td class="num">${xof(b.availableXof)}</td></tr>`,
  )}</tbody>
<tfoot><tr><th scope="row">Total</th><td class="num">${xof(t.postedXof)}</td><td class="num">${xof(t.heldXof)}</td><td class="num">${xof(t.incomingXof)}</td><td class="num">${xof(t.availableXof)}</td></tr></tfoot>
</table></div>`;
}

function statementTable(query: Record<string, string>, project: Project, page: StatementPage): SafeHtml {
  const filters = new URLSearchParams({ project: project.id });
  for (const name of FILTERS) if ((query[name] ?? '') !== '') filters.set(name, query[name] ?? '');
  const older = new URLSearchParams(filters);
  if (page.next) older.set('cursor', statementCursor(page.next));
  return html`<h2>Statement</h2>
<p><a href="/console/statement.csv?${filters.toString()}" download>Download CSV</a> <span class="muted">(these filters, newest first, up to ${STATEMENT_CSV_LIMIT_MAX.toLocaleString('en-US')} entries; narrow the dates for more)</span></p>
${
  page.entries.length === 0
    ? html`<p>No entry matches.</p>`
    : html`<div class="table-wrap"><table><caption>Newest first; the balance is the sub-account's posted balance after the entry</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Operator</th><th scope="col">Entry</th><th scope="col">Type</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Balance after</th><th scope="col">Transaction</th><th scope="col">Merchant transaction id</th></tr></thead>
<tbody>${page.entries.map(entryRow)}</tbody></table></div>`
}
<div class="pager">${(query.cursor ?? '') !== '' ? html`<a href="/console/statement?${filters.toString()}">Newest entries</a> ` : ''}${page.next ? html`<a href="/console/statement?${older.toString()}">Older entries</a>` : ''}</div>`;
}

function entryRow(e: StatementEntry): SafeHtml {
  const sign = e.direction === 'credit' ? '+' : '−';
  const subject =
    e.subjectId === null
      ? html`—`
      : e.subjectType === null
        ? html`<code>${e.subjectId}</code>`
        : html`<a href="/console/transactions/${e.subjectId}"><code>${e.subjectId}</code></a>`;
  return html`<tr><td>${utc(e.createdAtMs)}</td><td>${operatorById(e.operatorId)?.name ?? e.operatorId}</td><td>${badge(e.kind)}</td><td><code>${e.type}</code></td><td class="num">${sign}${xof(e.amountXof)}</td><td class="num">${xof(e.balanceAfterXof)}</td><td>${subject}</td><td>${e.merchantTransactionId ?? '—'}</td></tr>`;
}
