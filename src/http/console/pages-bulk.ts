import { projectChoices } from '../../commands/projects.js';
import {
  BATCH_LIST_PAGE_MAX,
  type BatchSummary,
  type BatchView,
  listBatches,
  readBatch,
} from '../../store/bulk-payouts.js';
import { batchCounts, batchTotals } from '../../commands/payout-bulk-view.js';
import { projectNameById } from '../../store/console-transactions.js';
import { type SafeHtml, html } from '../../util/html.js';
import { errorEnvelope } from '../envelope.js';
import { badge, utc, xof } from './layout.js';
import type { ConsoleRequest, ConsoleRouter, Outcome } from './router.js';

/**
 * Bulk payouts in the console (ADR 0025): the batches, newest first, and one batch with each item's
 * result and a link to its payout's story (pages-transactions.ts).
 */
const BATCH_ID = /^pob_[a-z2-7]{26}$/;
const PROJECT_ID = /^prj_[a-z2-7]{1,64}$/;

export function registerBulkPages(router: ConsoleRouter): void {
  router.page('/payouts/bulk', async (r) => listPage(r));
  router.page('/payouts/bulk/:batchId', async (r) => batchPage(r));
}

async function listPage(r: ConsoleRequest): Promise<Outcome> {
  const projectId = PROJECT_ID.test(r.query.project ?? '') ? r.query.project : undefined;
  const beforeRaw = Number(r.query.before ?? '');
  const beforeMs = Number.isSafeInteger(beforeRaw) && beforeRaw > 0 ? beforeRaw : undefined;
  const { batches, projects } = await r.deps.db.command(async (tx) => ({
    batches: await listBatches(tx, {
      limit: BATCH_LIST_PAGE_MAX,
      ...(projectId !== undefined ? { projectId } : {}),
      ...(beforeMs !== undefined ? { beforeMs } : {}),
    }),
    projects: await projectChoices(tx),
  }));
  const last = batches[batches.length - 1];
  const older = new URLSearchParams(projectId !== undefined ? { project: projectId } : {});
  if (last !== undefined) older.set('before', String(last.createdAtMs));
  const body = html`<form method="get" action="/console/payouts/bulk" class="filters card" role="search" aria-label="Filter batches">
<div><label for="f-project">Project</label><select id="f-project" name="project"><option value="">Any</option>${projects.map((p) => html`<option value="${p.id}"${p.id === projectId ? html` selected` : ''}>${p.name}</option>`)}</select></div>
<div><button type="submit">Filter</button> <a href="/console/payouts/bulk">Clear</a></div>
</form>
${batches.length === 0 ? html`<p>No bulk payout yet. Merchants send them with <code>POST /cauri/v1/payouts/bulk</code>.</p>` : batchTable(batches)}
${batches.length === BATCH_LIST_PAGE_MAX ? html`<div class="pager"><a href="/console/payouts/bulk?${older.toString()}">Older batches</a></div>` : ''}`;
  return { page: { title: 'Bulk payouts', section: 'bulk', body } };
}

function batchTable(batches: BatchSummary[]): SafeHtml {
  return html`<div class="table-wrap"><table><caption>Newest first</caption>
<thead><tr><th scope="col">Created (UTC)</th><th scope="col">Batch</th><th scope="col">Project</th><th scope="col" class="num">Items</th><th scope="col" class="num">Payouts</th><th scope="col" class="num">Amount</th><th scope="col">Status</th></tr></thead>
<tbody>${batches.map(
    (b) =>
      html`<tr><td>${utc(b.createdAtMs)}</td><td><a href="/console/payouts/bulk/${b.id}"><code>${b.id}</code></a></td><td><a href="/console/projects/${b.projectId}">${b.projectName}</a></td><td class="num">${b.itemCount}</td><td class="num">${b.payoutCount}</td><td class="num">${xof(b.acceptedXof)}</td><td>${badge(b.status)}</td></tr>`,
  )}</tbody></table></div>`;
}

async function batchPage(r: ConsoleRequest): Promise<Outcome> {
  const batchId = r.params.batchId ?? '';
  const found = BATCH_ID.test(batchId)
    ? await r.deps.db.command(async (tx) => {
        const view = await readBatch(tx, batchId);
        if (!view) return undefined;
        const projectName = await projectNameById(tx, view.batch.projectId);
        return { view, projectName: projectName ?? view.batch.projectId };
      })
    : undefined;
  if (found === undefined) {
    return {
      status: 404,
      page: {
        title: 'No such batch',
        section: 'bulk',
        body: html`<p>No bulk payout <code>${batchId}</code>. <a href="/console/payouts/bulk">All batches</a></p>`,
      },
    };
  }
  const { view, projectName } = found;
  const body = html`${batchFacts(view, projectName)}
<h2 id="items">Items</h2>${itemTable(view)}`;
  // The id (26 characters that cannot break) would overflow a phone's width in the heading; it is in the facts.
  return { page: { title: `Bulk payout of ${utc(view.batch.createdAtMs)} UTC`, section: 'bulk', body } };
}

function batchFacts(view: BatchView, projectName: string): SafeHtml {
  const { batch } = view;
  const counts = batchCounts(view);
  const totals = batchTotals(view);
  return html`<div class="card"><dl class="facts">
<dt>Status</dt><dd>${badge(batch.status)}${counts.unprocessed > 0 ? html` <span class="muted">${counts.unprocessed} item(s) not processed yet: the merchant's retry with the same Idempotency-Key runs them</span>` : ''}</dd>
<dt>Project</dt><dd><a href="/console/projects/${batch.projectId}">${projectName}</a></dd>
<dt>Items</dt><dd>${batch.itemCount}: ${counts.completed} completed, ${counts.pending} pending, ${counts.notcompleted} not completed, ${counts.refused} refused</dd>
<dt>Amount</dt><dd>${xof(totals.acceptedXof)} in payouts, ${xof(totals.completedXof)} completed</dd>
<dt>Idempotency-Key</dt><dd>${batch.idempotencyKey ?? '—'}</dd>
<dt>Default callback URL</dt><dd>${batch.callbackUrl || 'the project’s'}</dd>
<dt>Created (UTC)</dt><dd>${utc(batch.createdAtMs)}</dd>
<dt>Processed (UTC)</dt><dd>${utc(batch.processedAtMs)}</dd>
<dt>Id</dt><dd><code>${batch.id}</code></dd>
</dl></div>`;
}

function resultOf(item: BatchView['items'][number]): SafeHtml {
  if (item.resultCode === 'ok') return html`accepted`;
  const envelope = errorEnvelope(
    item.kind === 'merchant' ? 'createStraightWithdrawal' : 'createWithdrawal',
    item.resultCode,
    item.resultDetail === '' ? undefined : item.resultDetail,
  );
  return html`${envelope.response_text} <span class="muted">${envelope.description}</span>`;
}

function itemTable(view: BatchView): SafeHtml {
  if (view.items.length === 0) return html`<p>No item processed yet.</p>`;
  return html`<div class="table-wrap"><table><caption>In the order of the request</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">Kind</th><th scope="col">Customer</th><th scope="col" class="num">Amount</th><th scope="col">Result</th><th scope="col">Status</th><th scope="col">Payout</th></tr></thead>
<tbody>${view.items.map(
    (item) =>
      html`<tr><td class="num">${item.index}</td><td>${item.kind || '—'}</td><td>${item.customer || '—'}</td><td class="num">${item.amountXof === null ? '—' : xof(item.amountXof)}</td><td>${resultOf(item)}</td><td>${badge(item.status)}${item.statusReason !== null && item.statusReason !== '' ? html` <span class="muted">${item.statusReason}</span>` : ''}</td><td>${item.payoutId === null ? '—' : html`<a href="/console/transactions/${item.payoutId}">story</a>`}</td></tr>`,
  )}</tbody></table></div>`;
}
