import { createHash } from 'node:crypto';

/**
 * Server-rendered HTML for the payment page, the sandbox pages and the console. Every interpolated
 * value is escaped unless it is already `SafeHtml` (produced by `html` itself), so a merchant's
 * store name, description or item can never become markup (spec §8.8; ADR 0007). It knows nothing
 * of HTTP, so that the console's charts (src/console) can draw with it without reaching into http/.
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
