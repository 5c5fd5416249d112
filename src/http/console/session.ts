import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_POLICY } from '../../commands/console-users.js';
import { cookieValue, sameOrigin } from '../checkout/csrf.js';

/**
 * The console's cookie and CSRF rules (ADR 0008). The session cookie is HttpOnly, SameSite=Strict,
 * scoped to /console, and Secure whenever the console is reached over HTTPS or runs in production.
 * Every form that changes something carries a token derived from the session (HMAC of the cookie's
 * value), compared in constant time; on top of that a cross-site `Origin` or `Sec-Fetch-Site` is
 * refused.
 */
export const SESSION_COOKIE = 'cauri_console';
const COOKIE_HEADER_MAX = 8192;

export function sessionCookieOf(request: FastifyRequest): string | undefined {
  return cookieValue(request, SESSION_COOKIE, COOKIE_HEADER_MAX);
}

export function secureCookies(publicUrl: string, mode: string): boolean {
  return publicUrl.startsWith('https://') || mode === 'production';
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  const maxAgeSeconds = Math.floor(CONSOLE_POLICY.sessionAbsoluteMs / 1000);
  void reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${token}; Path=/console; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
  );
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
  );
}

/** The CSRF token of a session: not stored, derived from the session's secret cookie. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('cauri-console-csrf').digest('base64url');
}

export function csrfMatches(sessionToken: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== 43) return false;
  return timingSafeEqual(Buffer.from(csrfTokenFor(sessionToken)), Buffer.from(submitted));
}

/** False for a request a browser marks as sent from another site. */
export function sameSiteRequest(request: FastifyRequest, publicUrl: string): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return false;
  return sameOrigin(request, publicUrl);
}

/** Where to go after sign-in: only a path inside the console, never another site. */
export function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 500) return '/console';
  return /^\/console([/?][A-Za-z0-9_\-./?=&%]*)?$/.test(raw) && !raw.includes('//') && !raw.includes('\\')
    ? raw
    : '/console';
}
