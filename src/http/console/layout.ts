import type { FastifyReply } from 'fastify';
import { CHART_CSS } from '../../console/charts.js';
import { SafeHtml, html, pageCsp } from '../../util/html.js';
import { CONSOLE_BASE_CSS } from './style.js';

/** One stylesheet for every console page, allowed by its hash. */
export const CONSOLE_CSS = CONSOLE_BASE_CSS + CHART_CSS;
/** No script at all, our own forms only, no framing, nothing from elsewhere (ADR 0008). */
export const CONSOLE_CSP = pageCsp(CONSOLE_CSS);

export type Section =
  | 'dashboard'
  | 'transactions'
  | 'bulk'
  | 'projects'
  | 'balances'
  | 'statement'
  | 'wallets'
  | 'activity'
  | 'operators'
  | 'reconciliation'
  | 'sms'
  | 'pushes'
  | 'magic'
  | 'none';

interface NavItem {
  section: Section;
  href: string;
  label: string;
  sandboxOnly?: boolean;
}

const NAV: readonly NavItem[] = [
  { section: 'dashboard', href: '/console', label: 'Dashboard' },
  { section: 'transactions', href: '/console/transactions', label: 'Transactions' },
  { section: 'bulk', href: '/console/payouts/bulk', label: 'Bulk payouts' },
  { section: 'projects', href: '/console/projects', label: 'Projects' },
  { section: 'balances', href: '/console/balances', label: 'Balances' },
  { section: 'statement', href: '/console/statement', label: 'Statements' },
  { section: 'wallets', href: '/console/wallets', label: 'Wallets' },
  { section: 'activity', href: '/console/activity', label: 'Activity' },
  { section: 'operators', href: '/console/operators', label: 'Operators' },
  { section: 'reconciliation', href: '/console/reconciliation', label: 'Reconciliation' },
  { section: 'sms', href: '/console/sandbox/sms', label: 'SMS inbox', sandboxOnly: true },
  { section: 'pushes', href: '/console/sandbox/pushes', label: 'Pending pushes', sandboxOnly: true },
  { section: 'magic', href: '/console/sandbox/magic-numbers', label: 'Magic numbers', sandboxOnly: true },
];

export interface Viewer {
  username: string;
  csrf: string;
  mode: string;
}

export interface PageSpec {
  title: string;
  section: Section;
  body: SafeHtml;
  /** A message shown above the page (after an action). */
  notice?: string | undefined;
  error?: string | undefined;
}

/** A whole console page; `viewer` is undefined on the sign-in page. */
export function consolePage(viewer: Viewer | undefined, spec: PageSpec): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>${spec.title} · Cauri console</title>
<style>${new SafeHtml(CONSOLE_CSS)}</style>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
${viewer === undefined ? signedOutBar() : bar(viewer, spec.section)}
<main id="content" tabindex="-1">
<h1>${spec.title}</h1>
${spec.notice !== undefined ? html`<div class="notice" role="status">${spec.notice}</div>` : ''}
${spec.error !== undefined ? html`<div class="error" role="alert">${spec.error}</div>` : ''}
${spec.body}
</main>
<footer class="foot">Cauri — a LigdiCash-compatible gateway. Times are UTC.</footer>
</body>
</html>
`.value;
}

function signedOutBar(): SafeHtml {
  return html`<header class="bar"><div class="inner"><span class="brand">Cauri console</span></div></header>`;
}

function bar(viewer: Viewer, section: Section): SafeHtml {
  const items = NAV.filter((item) => item.sandboxOnly !== true || viewer.mode === 'sandbox');
  return html`<header class="bar"><div class="inner">
<a class="brand" href="/console">Cauri console<span class="mode ${viewer.mode}">${viewer.mode}</span></a>
<span class="who">Signed in as <strong>${viewer.username}</strong></span>
<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form>
</div></header>
<nav class="main" aria-label="Console"><ul>
${items.map(
  (item) =>
    html`<li${item.sandboxOnly === true ? html` class="sandbox"` : ''}><a href="${item.href}"${item.section === section ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
)}
</ul></nav>`;
}

/** The hidden CSRF field every state-changing form carries. */
export function csrfField(viewer: Viewer): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${viewer.csrf}">`;
}

export function sendConsole(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .send(page);
}

/** Formats for tables: integer XOF with thin grouping, UTC times. */
export function xof(amount: number): string {
  return `${amount.toLocaleString('en-US').replace(/,/g, '\u202f')} XOF`;
}

export function utc(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function badge(status: string): SafeHtml {
  return html`<span class="badge ${status.replace(/[^a-z_]/g, '')}">${status}</span>`;
}
