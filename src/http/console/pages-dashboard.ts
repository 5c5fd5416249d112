import { projectChoices } from '../../commands/projects.js';
import { barChart, formatPercent, rateChart } from '../../console/charts.js';
import { type Counts, type DashboardStats, dashboardStats, successRate } from '../../console/stats.js';
import { type SafeHtml, html } from '../../util/html.js';
import { xof } from './layout.js';
import type { ConsoleRouter } from './router.js';

/**
 * The dashboard: volume and success rate per day and per operator, for payins and payouts, over
 * 7 to 90 UTC days, for every project or one. Success rate counts final transactions only.
 */
const PERIODS = [7, 14, 30, 90] as const;

export function registerDashboard(router: ConsoleRouter): void {
  router.page('/', async (r) => {
    const days = PERIODS.find((d) => String(d) === r.query.days) ?? 14;
    const projectId = r.query.project ?? '';
    const { stats, projects } = await r.deps.db.command(async (tx) => ({
      stats: await dashboardStats(tx, { nowMs: r.nowMs, days, ...(projectId === '' ? {} : { projectId }) }),
      projects: await projectChoices(tx),
    }));
    const body = html`<form method="get" action="/console" class="filters" aria-label="Period and project">
<div><label for="days">Period</label><select id="days" name="days">${PERIODS.map((d) => html`<option value="${d}"${d === days ? html` selected` : ''}>Last ${d} days</option>`)}</select></div>
<div><label for="project">Project</label><select id="project" name="project"><option value="">All projects</option>${projects.map((p) => html`<option value="${p.id}"${p.id === projectId ? html` selected` : ''}>${p.name}</option>`)}</select></div>
<div><button type="submit" class="secondary">Show</button></div>
</form>
${kpis(stats)}
<div class="grid">${dayCharts(stats)}</div>
<div class="grid">${operatorCharts(stats)}</div>
<h2>By operator</h2>
${operatorTable(stats)}`;
    return { page: { title: 'Dashboard', section: 'dashboard', body } };
  });
}

function rateText(counts: Counts): string {
  const rate = successRate(counts);
  return rate === undefined ? '—' : formatPercent(rate);
}

function kpis(stats: DashboardStats): SafeHtml {
  const card = (label: string, counts: Counts) => html`<div class="card"><h2>${label}</h2>
<p class="kpi">${xof(counts.volumeXof)}</p>
<p>${counts.completed} completed of ${counts.created} created · success rate ${rateText(counts)} · ${counts.failed} failed</p></div>`;
  return html`<div class="grid">${card('Payins', stats.totals.payins)}${card('Payouts', stats.totals.payouts)}</div>`;
}

const dayLabel = (ms: number) => new Date(ms).toISOString().slice(5, 10);

function dayCharts(stats: DashboardStats): SafeHtml {
  const labels = stats.days.map((d) => dayLabel(d.dayStartMs));
  const volume = barChart({
    id: 'volume-per-day',
    title: 'Completed volume per day',
    description: 'XOF of completed payins and payouts, per UTC day',
    labels,
    labelHeading: 'Day',
    series: [
      { name: 'Payins', values: stats.days.map((d) => d.payins.volumeXof), className: 'bar-payin' },
      { name: 'Payouts', values: stats.days.map((d) => d.payouts.volumeXof), className: 'bar-payout' },
    ],
    formatValue: xof,
    formatTick: compact,
  });
  const rate = rateChart({
    id: 'success-per-day',
    title: 'Success rate per day',
    description: 'Completed among final payins and payouts, per UTC day; gaps where none was final',
    labels,
    labelHeading: 'Day',
    series: [
      { name: 'Payins', values: stats.days.map((d) => successRate(d.payins)), className: 'line-payin' },
      { name: 'Payouts', values: stats.days.map((d) => successRate(d.payouts)), className: 'line-payout' },
    ],
  });
  return html`<div class="card">${volume}</div><div class="card">${rate}</div>`;
}

function operatorCharts(stats: DashboardStats): SafeHtml {
  const labels = stats.operators.map((o) => o.operatorName);
  const volume = barChart({
    id: 'volume-per-operator',
    title: 'Completed volume per operator',
    description: 'XOF of completed payins and payouts over the period, per operator',
    labels,
    labelHeading: 'Operator',
    series: [
      {
        name: 'Payins',
        values: stats.operators.map((o) => o.totals.payins.volumeXof),
        className: 'bar-payin',
      },
      {
        name: 'Payouts',
        values: stats.operators.map((o) => o.totals.payouts.volumeXof),
        className: 'bar-payout',
      },
    ],
    formatValue: xof,
    formatTick: compact,
  });
  const percent = (counts: Counts) => {
    const rate = successRate(counts);
    return rate === undefined ? Number.NaN : Math.round(rate * 1000) / 10;
  };
  const rate = barChart({
    id: 'success-per-operator',
    title: 'Success rate per operator',
    description: 'Completed among final payins and payouts over the period, per operator, in percent',
    labels,
    labelHeading: 'Operator',
    series: [
      {
        name: 'Payins',
        values: stats.operators.map((o) => percent(o.totals.payins)),
        className: 'bar-payin',
      },
      {
        name: 'Payouts',
        values: stats.operators.map((o) => percent(o.totals.payouts)),
        className: 'bar-payout',
      },
    ],
    formatValue: (n) => `${n} %`,
  });
  return html`<div class="card">${volume}</div><div class="card">${rate}</div>`;
}

function operatorTable(stats: DashboardStats): SafeHtml {
  if (stats.operators.length === 0) return html`<p>No payin or payout in this period.</p>`;
  const cells = (c: Counts) =>
    html`<td class="num">${c.created}</td><td class="num">${c.completed}</td><td class="num">${c.failed}</td><td class="num">${rateText(c)}</td><td class="num">${xof(c.volumeXof)}</td>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col" rowspan="2">Operator</th><th scope="colgroup" colspan="5">Payins</th><th scope="colgroup" colspan="5">Payouts</th></tr>
<tr>${[0, 1].map(() => html`<th scope="col" class="num">Created</th><th scope="col" class="num">Completed</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Success</th><th scope="col" class="num">Volume</th>`)}</tr></thead>
<tbody>${stats.operators.map((o) => html`<tr><th scope="row">${o.operatorName}</th>${cells(o.totals.payins)}${cells(o.totals.payouts)}</tr>`)}</tbody>
<tfoot><tr><th scope="row">All</th>${cells(stats.totals.payins)}${cells(stats.totals.payouts)}</tr></tfoot>
</table></div>`;
}

/** "1.2 M" for axis ticks; the tooltips and tables carry the exact amounts. */
function compact(n: number): string {
  if (n >= 1_000_000) return `${Math.round(n / 100_000) / 10} M`;
  if (n >= 1_000) return `${Math.round(n / 100) / 10} k`;
  return String(n);
}
