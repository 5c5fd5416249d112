import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { SafeHtml, html, pageCsp } from '../../util/html.js';
import { CHECKOUT_CSS } from './style.js';

/**
 * The payment page's layout and headers. The escaping templates live in src/util/html.ts and are
 * re-exported here for the pages that still import them from this file.
 */

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
