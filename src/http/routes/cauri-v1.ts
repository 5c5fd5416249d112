import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { type Project } from '../../core/project.js';
import { ipAllowed } from '../../commands/projects.js';
import type { Wiki } from '../../core/result-codes.js';
import type { Tx } from '../../store/database.js';
import { errorEnvelope } from '../envelope.js';
import { firstError } from '../schemas.js';
import { authenticated } from './common.js';

/**
 * The shared shape of Cauri's own merchant API under `/cauri/v1/` (ADR 0023), which every route
 * there follows (callbacks resend, balances, statement, refunds, bulk payouts, availability):
 *
 * - Credentials are LigdiCash's: `Apikey` and `Authorization: Bearer <token>`, checked by
 *   `authenticated()` in the command's own transaction. Another project's object is "not found".
 * - Answers are LigdiCash envelopes: HTTP 200, `response_code` "00" with the data beside it on
 *   success (`success()`), the error envelope (`response_code` "01", `Echec (CodeXX)`) on failure. The
 *   sub-codes are those of a LigdiCash family chosen per route: reads use `confirmInvoice`'s table
 *   (Code00 authentication, Code02 not found, Code04 input), which the SDKs already parse.
 * - Query strings are validated with TypeBox (`parseQuery`): every parameter a string with a
 *   length limit, unknown parameters refused, so that a misspelt filter is an error and not a
 *   silently wider answer.
 * - The IP allow-list (spec §1.4) guards money leaving a project: routes that move money call
 *   `requireAllowedIp`; reads (balances, statements) do not, like LigdiCash's confirm endpoints.
 */
export const CAURI_V1_READ_WIKI: Wiki = 'confirmInvoice';

/** The success envelope: `response_code` "00" and the route's data beside it. */
export function success<T extends Record<string, unknown>>(
  body: T,
  description = '',
): { response_code: '00'; response_text: ''; description: string } & T {
  return { response_code: '00', response_text: '', description, ...body };
}

/** What authenticating a request needs (the database and the project cache): `authenticated()` says. */
export type CauriV1Deps = Parameters<typeof authenticated>[0];

/**
 * Runs a `/cauri/v1/` handler as one authenticated command (`authenticated()` in common.ts). The
 * work returns the body: `success({...})` or an error envelope.
 */
export function cauriV1(
  deps: CauriV1Deps,
  request: FastifyRequest,
  wiki: Wiki,
  work: (tx: Tx, project: Project) => Promise<unknown>,
): Promise<unknown> {
  return authenticated(deps, request, wiki, work);
}

/** For routes that move money out of a project: the caller's IP must be on the project's list. */
export function requireAllowedIp(
  request: FastifyRequest,
  project: Project,
  wiki: Wiki,
): ReturnType<typeof errorEnvelope> | undefined {
  if (ipAllowed(project, request.ip)) return undefined;
  return errorEnvelope(wiki, 'ip_denied', `IP ${request.ip} is not allowed for this project`);
}

/** A query-string validator: TypeBox compiled once per route, at registration. */
export interface QueryValidator<T> {
  readonly schema: TSchema;
  parse(query: unknown): { ok: true; value: T } | { ok: false; detail: string };
}

/**
 * Compiles a query-string schema (an object of optional strings, `additionalProperties: false`).
 * A parameter given twice (`?a=1&a=2`) arrives as an array and is refused like any wrong type.
 */
export function queryValidator<T>(schema: TSchema): QueryValidator<T> {
  const validator = Compile(schema);
  return {
    schema,
    parse(query: unknown) {
      const value = query ?? {};
      if (!validator.Check(value)) return { ok: false, detail: `query ${firstError(validator, value)}` };
      return { ok: true, value: value as T };
    },
  };
}

/** Page sizes: `limit` defaults to `defaultCount` and may not exceed `maxCount`. */
export function parseLimit(
  raw: string | undefined,
  defaultCount: number,
  maxCount: number,
): number | undefined {
  if (raw === undefined || raw === '') return defaultCount;
  if (!/^[0-9]{1,6}$/.test(raw)) return undefined;
  const count = Number(raw);
  return count >= 1 && count <= maxCount ? count : undefined;
}

/**
 * An instant in a query string: a date `YYYY-MM-DD` (midnight UTC, which is Burkina Faso's time),
 * or an RFC 3339 date-time with `Z` or an offset. Anything else, or a year outside 2000-9999, is
 * undefined so that the route answers the input error envelope.
 */
export function parseInstantMs(raw: string): number | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw);
  if (!date && !dateTime) return undefined;
  const ms = Date.parse(date ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March; a calendar date must read back the same.
  if (date && new Date(ms).toISOString().slice(0, 10) !== raw) return undefined;
  const year = new Date(ms).getUTCFullYear();
  return year >= 2000 && year <= 9999 ? ms : undefined;
}

/** Opaque cursors: base64url of a short JSON array, with a length limit both ways. */
export const CURSOR_LENGTH_MAX = 200;

export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): unknown[] | undefined {
  if (raw.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
