import { listAudit, listConsoleUsers } from '../../commands/console-users.js';
import { html } from '../../util/html.js';
import { badge, utc } from './layout.js';
import type { ConsoleRouter } from './router.js';

/** The audit trail: who signed in, changed a project, rotated a secret, moved money or resent a callback. */
const AUDIT_PAGE_ROWS = 100;

export function registerActivityPage(router: ConsoleRouter): void {
  router.page('/activity', async (r) => {
    const beforeRaw = Number(r.query.before ?? '');
    const before = Number.isSafeInteger(beforeRaw) && beforeRaw > 0 ? beforeRaw : undefined;
    const { lines, users } = await r.deps.db.command(async (tx) => ({
      lines: await listAudit(tx, AUDIT_PAGE_ROWS, before),
      users: await listConsoleUsers(tx),
    }));
    const last = lines[lines.length - 1];
    const body = html`<h2>Console users</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">User</th><th scope="col">Last sign-in</th><th scope="col">State</th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.username}</td><td>${utc(u.lastSignInAtMs)}</td><td>${u.lockedUntilMs !== null && u.lockedUntilMs > r.nowMs ? html`${badge('failed')} locked until ${utc(u.lockedUntilMs)}` : badge('ok')}</td></tr>`)}</tbody></table></div>
<p class="muted">Users are managed with <code>npx cauri console user …</code>.</p>
<h2>Audit trail</h2>
${
  lines.length === 0
    ? html`<p>Nothing yet.</p>`
    : html`<div class="table-wrap"><table><caption>Newest first</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th><th scope="col">From</th></tr></thead>
<tbody>${lines.map((l) => html`<tr><td>${utc(l.atMs)}</td><td>${l.username}</td><td>${l.action.replace(/_/g, ' ')}</td><td><code>${l.target}</code></td><td>${l.detail}</td><td>${l.ip}</td></tr>`)}</tbody></table></div>`
}
${lines.length === AUDIT_PAGE_ROWS && last !== undefined ? html`<div class="pager"><a href="/console/activity?before=${last.atMs}">Older entries</a></div>` : ''}`;
    return { page: { title: 'Activity', section: 'activity', body } };
  });
}
