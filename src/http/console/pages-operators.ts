import { operatorAvailability } from '../../commands/operator-health.js';
import { HEALTH_WINDOW_MS, type OperatorStatus } from '../../core/operator-health.js';
import { OPERATORS } from '../../core/operators.js';
import { queuedPayoutCounts } from '../../store/operator-health.js';
import { type SafeHtml, html } from '../../util/html.js';
import { utc } from './layout.js';
import type { ConsoleRouter } from './router.js';

/**
 * Operator availability (ADR 0026): every operator's status as the payout dispatcher judges it from
 * the calls of the last minutes, shared by every instance, and the payouts of all projects queued
 * for it (linked to the transaction search).
 */
const STATUS_CLASS: Record<OperatorStatus, string> = { up: 'ok', degraded: 'wait', down: 'ko' };

export function statusBadge(status: OperatorStatus): SafeHtml {
  return html`<span class="badge ${STATUS_CLASS[status]}">${status}</span>`;
}

const ms = (value: number | null) => (value === null ? '—' : `${value} ms`);

export function registerOperatorPages(router: ConsoleRouter): void {
  router.page('/operators', async (r) => {
    const ids = OPERATORS.map((op) => op.id);
    const { availability, queued } = await r.deps.db.command(async (tx) => ({
      availability: await operatorAvailability(tx, ids, r.nowMs, r.deps.config.operatorTimeoutMs),
      queued: await queuedPayoutCounts(tx, ids),
    }));
    const names = new Map(OPERATORS.map((op) => [op.id, `${op.name} (${op.country})`]));
    const down = availability.filter((a) => a.status === 'down').length;
    const body = html`<p>Judged from Cauri's own calls to each operator over the last ${HEALTH_WINDOW_MS / 60_000} minutes, the same on every instance. Payouts to an operator that is <strong>down</strong> stay pending, with the reason recorded, and are sent oldest first when it recovers; a <strong>degraded</strong> operator gets them at a bounded rate.</p>
<div class="table-wrap"><table>
<caption>${down === 0 ? 'Every operator is reachable' : `${down} operator${down === 1 ? ' is' : 's are'} down`}</caption>
<thead><tr><th scope="col">Operator</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Success</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">Failures in a row</th><th scope="col" class="num">Queued payouts</th></tr></thead>
<tbody>${availability.map((a) => {
      const count = queued.get(a.operatorId) ?? 0;
      return html`<tr data-operator="${a.operatorId}"><td>${names.get(a.operatorId) ?? a.operatorId} <span class="muted">#${a.operatorId}</span></td><td>${statusBadge(a.status)}</td><td>${utc(a.sinceMs)}</td><td class="num">${a.calls}</td><td class="num">${a.calls === 0 ? '—' : `${(a.successRate * 100).toFixed(1)} %`}</td><td class="num">${ms(a.latencyP50Ms)}</td><td class="num">${ms(a.latencyP95Ms)}</td><td class="num">${a.consecutiveFailures}</td><td class="num">${count === 0 ? '0' : html`<a href="/console/transactions?kind=payout&amp;status=pending&amp;operator=${a.operatorId}">${count}</a>`}</td></tr>`;
    })}</tbody></table></div>`;
    return { page: { title: 'Operators', section: 'operators', body } };
  });
}
