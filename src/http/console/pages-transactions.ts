import { requestResend } from '../../commands/callback-admin.js';
import { recordAudit } from '../../commands/console-users.js';
import { projectChoices } from '../../commands/projects.js';
import { ALL_OPERATORS, operatorById } from '../../core/operators.js';
import {
  type StoryCallback,
  type TransactionRow,
  type TransactionStory,
  transactionStory,
} from '../../store/console-transactions.js';
import { type TransactionFilter, searchTransactions } from '../../console/transactions.js';
import { callbackEventSubject } from '../../store/console-transactions.js';
import { type SafeHtml, html } from '../../util/html.js';
import { type Viewer, badge, csrfField, utc, xof } from './layout.js';
import { refundRefusal, refundsSection } from './pages-refunds.js';
import type { ConsoleRequest, ConsoleRouter, Outcome } from './router.js';

/**
 * Transactions: search payins and payouts by token, request id, phone, merchant transaction id,
 * status, operator, project and date; and one transaction's whole story: its state changes, ledger
 * transfers, operator exchanges and callbacks, each callback with its POSTs and a resend button.
 */
const PAGE_ROWS = 50;
const STATUSES = ['pending', 'completed', 'notcompleted', 'nocompleted'] as const;
const FIELDS = [
  'kind',
  'token',
  'request_id',
  'phone',
  'merchant_transaction_id',
  'status',
  'operator',
  'project',
  'from',
  'to',
] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const EVENT_ID = /^evt_[a-z2-7]{1,64}$/;
const DAY_MS = 86_400_000;

export function registerTransactionPages(router: ConsoleRouter): void {
  router.page('/transactions', async (r) => searchPage(r));
  router.page('/transactions/:id', async (r) => storyPage(r));
  router.action('/transactions/:id/callbacks/:eventId/resend', async (r) => {
    const eventId = r.params.eventId ?? '';
    const id = r.params.id ?? '';
    if (!EVENT_ID.test(eventId)) return storyPage(r, undefined, 'No such callback event.');
    const resent = await r.deps.db.command(async (tx) => {
      if ((await callbackEventSubject(tx, eventId)) !== id) return undefined;
      const result = await requestResend(tx, eventId, undefined, r.nowMs);
      if (result.ok)
        await recordAudit(
          tx,
          { username: r.viewer.username, action: 'callback_resend', target: eventId, detail: id, ip: r.ip },
          r.nowMs,
        );
      return result;
    });
    if (resent === undefined || !resent.ok)
      return storyPage(r, undefined, 'No such callback event for this transaction.');
    return { redirect: `/console/transactions/${encodeURIComponent(id)}?done=resent#callbacks` };
  });
}

function filterOf(query: Record<string, string>): TransactionFilter | string {
  const filter: TransactionFilter = {};
  const text = (name: (typeof FIELDS)[number]) => (query[name] ?? '').trim();
  if (text('kind') === 'payin' || text('kind') === 'payout') filter.kind = text('kind') as 'payin' | 'payout';
  if (text('token') !== '') filter.token = text('token');
  if (text('request_id') !== '') filter.requestId = text('request_id');
  if (text('phone') !== '') filter.phone = text('phone');
  if (text('merchant_transaction_id') !== '') filter.merchantTransactionId = text('merchant_transaction_id');
  if (text('status') !== '') filter.status = text('status');
  if (text('operator') !== '') filter.operatorId = text('operator');
  if (text('project') !== '') filter.projectId = text('project');
  for (const [name, key] of [
    ['from', 'fromMs'],
    ['to', 'toMs'],
  ] as const) {
    const day = text(name);
    if (day === '') continue;
    const ms = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
    if (!Number.isFinite(ms)) return `"${day}" is not a date (YYYY-MM-DD).`;
    filter[key] = name === 'to' ? ms + DAY_MS - 1 : ms;
  }
  const before = Number(query.before ?? '');
  if (Number.isSafeInteger(before) && before > 0) filter.beforeMs = before;
  return filter;
}

async function searchPage(r: ConsoleRequest): Promise<Outcome> {
  const filter = filterOf(r.query);
  const projects = await r.deps.db.command((tx) => projectChoices(tx));
  const rows =
    typeof filter === 'string'
      ? []
      : await r.deps.db.command((tx) => searchTransactions(tx, filter, PAGE_ROWS));
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const last = rows[rows.length - 1];
  const params = new URLSearchParams(
    Object.entries(r.query).filter(([k, v]) => (FIELDS as readonly string[]).includes(k) && v !== ''),
  );
  if (last !== undefined) params.set('before', String(last.createdAtMs));
  const body = html`${searchForm(r.query, projects)}
${rows.length === 0 ? html`<p>No transaction matches.</p>` : resultTable(rows, names)}
${rows.length === PAGE_ROWS ? html`<div class="pager"><a href="/console/transactions?${params.toString()}">Older transactions</a></div>` : ''}`;
  return {
    status: typeof filter === 'string' ? 400 : 200,
    page: {
      title: 'Transactions',
      section: 'transactions',
      body,
      error: typeof filter === 'string' ? filter : undefined,
    },
  };
}

function searchForm(query: Record<string, string>, projects: { id: string; name: string }[]): SafeHtml {
  const value = (name: string) => query[name] ?? '';
  const input = (name: string, label: string, type = 'search') =>
    html`<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${value(name)}" maxlength="2048"></div>`;
  const select = (name: string, label: string, options: Array<[string, string]>) =>
    html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">Any</option>${options.map(([v, text]) => html`<option value="${v}"${v === value(name) ? html` selected` : ''}>${text}</option>`)}</select></div>`;
  return html`<form method="get" action="/console/transactions" class="filters card" role="search" aria-label="Search transactions">
${select('kind', 'Kind', [
  ['payin', 'Payin'],
  ['payout', 'Payout'],
])}
${input('token', 'Token')}
${input('request_id', 'Request id (P…)')}
${input('phone', 'Phone')}
${input('merchant_transaction_id', 'Merchant transaction id')}
${select(
  'status',
  'Status',
  STATUSES.map((s) => [s, s]),
)}
${select(
  'operator',
  'Operator',
  ALL_OPERATORS.map((op) => [op.id, op.name]),
)}
${select(
  'project',
  'Project',
  projects.map((p) => [p.id, p.name]),
)}
${input('from', 'From (UTC day)', 'date')}
${input('to', 'To (UTC day)', 'date')}
<div><button type="submit">Search</button> <a href="/console/transactions">Clear</a></div>
</form>`;
}

function resultTable(rows: TransactionRow[], projects: Map<string, string>): SafeHtml {
  return html`<div class="table-wrap"><table><caption>Newest first</caption>
<thead><tr><th scope="col">Created (UTC)</th><th scope="col">Transaction</th><th scope="col">Kind</th><th scope="col">Project</th><th scope="col">Customer</th><th scope="col">Operator</th><th scope="col" class="num">Amount</th><th scope="col">Status</th><th scope="col">Merchant id</th></tr></thead>
<tbody>${rows.map(
    (t) =>
      html`<tr><td>${utc(t.createdAtMs)}</td><td><a href="/console/transactions/${t.id}"><code>${t.requestId}</code></a></td><td>${t.kind} · ${t.subtype}</td><td>${projects.get(t.projectId) ?? t.projectId}</td><td>${t.customer ?? '—'}</td><td>${operatorById(t.operatorId ?? '')?.name ?? '—'}</td><td class="num">${xof(t.amountXof)}</td><td>${badge(t.status)}</td><td>${t.merchantTransactionId ?? '—'}</td></tr>`,
  )}</tbody></table></div>`;
}

async function storyPage(r: ConsoleRequest, notice?: string, error?: string): Promise<Outcome> {
  const id = r.params.id ?? '';
  const story = id.length > 100 ? undefined : await r.deps.db.command((tx) => transactionStory(tx, id));
  if (story === undefined) {
    return {
      status: 404,
      page: {
        title: 'No such transaction',
        section: 'transactions',
        body: html`<p>No payin or payout <code>${id}</code>. <a href="/console/transactions">Search</a></p>`,
      },
    };
  }
  const shownNotice =
    notice ??
    (r.query.done === 'resent'
      ? 'Callback queued: the worker sends it now, with a new retry cycle.'
      : r.query.done === 'refunded'
        ? 'Refund recorded: a wallet refund is done; an operator refund is sent now, and its outcome shows below.'
        : undefined);
  const row = story.row;
  // Refunds of a payin (ADR 0024): listed, with the refund form; a refusal comes back as its code.
  const refunds =
    story.kind === 'payin'
      ? html`<h2 id="refunds">Refunds</h2>${await refundsSection(r, { id: row.id, projectId: row.project_id })}`
      : '';
  error ??= refundRefusal(r.query.refund_error);
  const title = `${story.kind === 'payin' ? 'Payin' : 'Payout'} ${row.request_id}`;
  const body = html`${facts(story)}
<h2 id="history">State changes</h2>${history(story)}
<h2 id="ledger">Ledger transfers</h2>${transfers(story)}
<h2 id="operator">Operator exchanges</h2>${exchanges(story)}
<h2 id="callbacks">Callbacks</h2>${callbacks(story.callbacks, r.viewer, row.id)}
${refunds}`;
  return {
    status: error === undefined || r.query.refund_error !== undefined ? 200 : 404,
    page: { title, section: 'transactions', body, notice: shownNotice, error },
  };
}

function facts(story: TransactionStory): SafeHtml {
  const row = story.row;
  const payout = story.kind === 'payout' ? story.row : undefined;
  return html`<div class="card"><dl class="facts">
<dt>Status</dt><dd>${badge(row.status)}${row.status_reason !== null ? html` <span class="muted">${row.status_reason}</span>` : ''}</dd>
<dt>Amount</dt><dd>${xof(Number(row.amount_xof))}</dd>
<dt>Kind</dt><dd>${story.kind} · ${row.kind}${story.invoice !== null ? html` · ${story.invoice.channel} checkout` : ''}</dd>
<dt>Project</dt><dd><a href="/console/projects/${row.project_id}">${story.projectName ?? row.project_id}</a></dd>
<dt>Customer</dt><dd>${row.customer ?? '—'}</dd>
<dt>Operator</dt><dd>${operatorById(row.operator_id ?? '')?.name ?? '—'}</dd>
<dt>Id</dt><dd><code>${row.id}</code></dd>
<dt>Request id</dt><dd><code>${row.request_id}</code></dd>
<dt>Merchant transaction id</dt><dd>${row.merchant_transaction_id ?? '—'}</dd>
<dt>External id</dt><dd>${row.external_id || '—'}</dd>
<dt>Description</dt><dd>${row.description || '—'}</dd>
${payout !== undefined ? html`<dt>Top up wallet</dt><dd>${payout.top_up_wallet === 1 ? 'yes (to the customer’s wallet)' : 'no (to mobile money)'}</dd><dt>Dispatch</dt><dd>${payout.dispatch_state}, ${payout.dispatch_attempts} attempt(s)</dd>` : ''}
<dt>Operator reference</dt><dd>${(payout?.operator_reference ?? story.invoice?.operator_reference) || '—'}</dd>
<dt>Callback URL</dt><dd>${row.callback_url || '—'}</dd>
<dt>Created</dt><dd>${utc(Number(row.created_at_ms))}</dd>
<dt>Updated</dt><dd>${utc(Number(row.updated_at_ms))}</dd>
<dt>Token</dt><dd><code>${row.token}</code></dd>
<dt>custom_data</dt><dd><pre>${JSON.stringify(row.custom_data, null, 1)}</pre></dd>
</dl></div>`;
}

function history(story: TransactionStory): SafeHtml {
  if (story.events.length === 0) return html`<p>No state change recorded.</p>`;
  return html`<ol class="timeline">${story.events.map(
    (e) =>
      html`<li><time>${utc(e.atMs)}</time> ${badge(e.status)}${e.reason !== null ? html` ${e.reason}` : ''}${e.dispatchState !== null ? html` <span class="muted">dispatch ${e.dispatchState}</span>` : ''}${e.requestId !== null ? html` <span class="muted">request <code>${e.requestId}</code></span>` : ''}</li>`,
  )}</ol>`;
}

function transfers(story: TransactionStory): SafeHtml {
  if (story.transfers.length === 0) return html`<p>No money moved for this transaction.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Transfer</th><th scope="col">Kind</th><th scope="col">Debit</th><th scope="col">Credit</th><th scope="col" class="num">Amount</th><th scope="col">Reason</th></tr></thead>
<tbody>${story.transfers.map(
    (t) =>
      html`<tr><td>${utc(t.createdAtMs)}</td><td><code>${t.id}</code>${t.pendingId !== null ? html`<br><span class="muted">of ${t.pendingId}</span>` : ''}</td><td>${t.kind}</td><td><code>${t.debitAccountId}</code></td><td><code>${t.creditAccountId}</code></td><td class="num">${xof(t.amountXof)}</td><td>${t.reason}</td></tr>`,
  )}</tbody></table></div>`;
}

function exchanges(story: TransactionStory): SafeHtml {
  if (story.exchanges.length === 0) return html`<p>No exchange with an operator.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Action</th><th scope="col">Operator</th><th scope="col">Reference</th><th scope="col" class="num">Latency</th><th scope="col">Request</th><th scope="col">Outcome</th></tr></thead>
<tbody>${story.exchanges.map(
    (x) =>
      html`<tr><td>${utc(x.startedAtMs)}</td><td>${x.action}</td><td>${operatorById(x.operatorId)?.name ?? x.operatorId}</td><td><code>${x.reference}</code></td><td class="num">${x.inFlight ? '—' : `${x.latencyMs} ms`}</td><td><pre>${x.request}</pre></td><td>${x.inFlight ? 'no answer recorded: in flight, or cut by a restart' : html`<pre>${x.error ?? x.outcome}</pre>`}</td></tr>`,
  )}</tbody></table></div>`;
}

function callbacks(events: StoryCallback[], viewer: Viewer, subjectId: string): SafeHtml {
  if (events.length === 0)
    return html`<p>No callback event (none is sent while a transaction is pending, or without a callback URL).</p>`;
  return html`${events.map(
    (e) => html`<div class="card"><h3>${e.eventType} ${badge(e.status)}</h3>
<p class="muted"><code>${e.eventId}</code> · created ${utc(e.createdAtMs)} · ${e.attemptsMade} attempt(s) · ${e.deliveredAtMs !== null ? `delivered ${utc(e.deliveredAtMs)}` : e.status === 'failed' ? 'gave up' : `next attempt ${utc(e.nextAttemptAtMs)}`}</p>
${
  e.posts.length === 0
    ? html`<p>Not sent yet.</p>`
    : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">#</th><th scope="col">When (UTC)</th><th scope="col">Encoding</th><th scope="col">URL</th><th scope="col">Answer</th><th scope="col" class="num">Latency</th><th scope="col">Response</th></tr></thead>
<tbody>${e.posts.map(
        (p) =>
          html`<tr><td>${p.attempt}</td><td>${utc(p.startedAtMs)}</td><td>${p.encoding}</td><td><code>${p.url}</code></td><td>${p.httpStatus !== null ? badge(p.httpStatus >= 200 && p.httpStatus < 300 ? 'ok' : 'ko') : badge('ko')} ${p.httpStatus ?? p.error ?? ''}</td><td class="num">${p.latencyMs} ms</td><td>${p.responseExcerpt === '' ? '—' : html`<pre>${p.responseExcerpt}</pre>`}</td></tr>`,
      )}</tbody></table></div>`
}
<form method="post" action="/console/transactions/${subjectId}/callbacks/${e.eventId}/resend">${csrfField(viewer)}<button type="submit" class="secondary small">Resend this callback</button></form>
</div>`,
  )}`;
}
