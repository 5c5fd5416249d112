import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { CHECKOUT_CSS } from './style.js';

/**
 * Server-rendered HTML for the payment page and the sandbox pages. Every interpolated value is
 * escaped unless it is already `SafeHtml` (produced by `html` itself), so a merchant's store name,
 * description or item can never become markup (spec §8.8; ADR 0007).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

type Fragment = SafeHtml | string | number | null | undefined | false | readonly Fragment[];

function render(value: Fragment): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly Fragment[]).map(render).join('');
  return escapeHtml(String(value as string | number));
}

/** A template whose interpolations are escaped (attributes must be double-quoted in the template). */
export function html(strings: TemplateStringsArray, ...values: Fragment[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * The CSP of every server-rendered page: nothing but our own origin, no script at all, the one
 * inline stylesheet by its hash (no `unsafe-inline`), forms posting only to us, no framing
 * (spec §2.10: the payment page must not be framed). The console uses it with its own stylesheet.
 */
export function pageCsp(stylesheet: string): string {
  const styleHash = createHash('sha256').update(stylesheet).digest('base64');
  return [
    "default-src 'self'",
    "script-src 'none'",
    `style-src 'sha256-${styleHash}'`,
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

export const PAGE_CSP = pageCsp(CHECKOUT_CSS);

export interface PageOptions {
  lang: string;
  title: string;
  /** Seconds before the browser reloads, or goes to `refreshUrl`. */
  refreshSeconds?: number;
  refreshUrl?: string;
}

export function layout(options: PageOptions, body: SafeHtml): string {
  const refresh =
    options.refreshSeconds === undefined
      ? ''
      : html`<meta http-equiv="refresh" content="${options.refreshSeconds}${options.refreshUrl !== undefined ? `;url=${options.refreshUrl}` : ''}">`;
  return html`<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
${refresh}
<title>${options.title}</title>
<style>${new SafeHtml(CHECKOUT_CSS)}</style>
</head>
<body>
${body}
</body>
</html>
`.value;
}

/** Sends a page with the headers every page needs: CSP, no framing, no sniffing, no referrer. */
export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return (
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      // The token in the URL is the page's capability: it must not leak to the merchant or operator.
      // `same-origin`, not `no-referrer`: with the latter browsers send `Origin: null` on our own forms.
      .header('referrer-policy', 'same-origin')
      .header('cross-origin-opener-policy', 'same-origin')
      .send(page)
  );
}

/** A fresh double-submit value for the CSRF cookie. */
export function newCsrfValue(): string {
  return randomBytes(16).toString('hex');
}
