import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { newCsrfValue } from './html.js';

/**
 * CSRF protection for pages without a login (ADR 0007). The token in the URL is the capability;
 * on top of it every state-changing form carries a double-submit value that must equal a
 * `SameSite=Strict` cookie, which a cross-site form post does not send, and a present `Origin` must
 * be this gateway's.
 */
export const CSRF_COOKIE = 'cauri_csrf';
const VALUE = /^[0-9a-f]{32}$/;

/** A cookie's value from the request's Cookie header, read only when the header is at most `headerBytesMax` long. */
export function cookieValue(
  request: FastifyRequest,
  name: string,
  headerBytesMax: number,
): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > headerBytesMax) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export function csrfCookieOf(request: FastifyRequest): string | undefined {
  const value = cookieValue(request, CSRF_COOKIE, 4096);
  return value !== undefined && VALUE.test(value) ? value : undefined;
}

/** The request's CSRF value, set as a cookie when the browser has none yet. */
export function ensureCsrf(request: FastifyRequest, reply: FastifyReply, publicUrl: string): string {
  const existing = csrfCookieOf(request);
  if (existing !== undefined) return existing;
  const value = newCsrfValue();
  const secure = publicUrl.startsWith('https://') ? '; Secure' : '';
  void reply.header('set-cookie', `${CSRF_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure}`);
  return value;
}

/** A present `Origin` header must be this gateway's (the request's own host or the public URL). */
export function sameOrigin(request: FastifyRequest, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const allowed = new Set<string>([`${request.protocol}://${request.headers.host ?? ''}`]);
  try {
    allowed.add(new URL(publicUrl).origin);
  } catch {
    // An unparsable public URL only narrows what is allowed.
  }
  return allowed.has(origin);
}

export function csrfValid(request: FastifyRequest, submitted: unknown, publicUrl: string): boolean {
  const cookie = csrfCookieOf(request);
  if (cookie === undefined || typeof submitted !== 'string' || !VALUE.test(submitted)) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted)) && sameOrigin(request, publicUrl);
}
