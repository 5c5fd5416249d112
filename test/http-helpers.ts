import type { OutgoingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import { type BalanceLine } from '../src/store/wallets.js';
import { listBalances } from '../src/commands/wallets.js';
import { type ProjectChanges, updateProject } from '../src/commands/projects.js';
import type { OutboxTable, PayinTable, PayoutTable } from '../src/store/schema.js';
import { type TestGateway, latestOtp, walletPayinBody } from './harness.js';

/**
 * Helpers shared by the HTTP suites (test/http-*.test.ts). They speak to the gateway only through
 * `app.inject` and read the database only to check what a request left behind: balances, outbox
 * rows, transaction rows.
 */
export const WIKI = {
  createInvoice: 'https://client.ligdicash.com/wiki/createInvoice',
  confirmInvoice: 'https://client.ligdicash.com/wiki/confirmInvoice',
  createWithdrawal: 'https://client.ligdicash.com/wiki/createWithdrawal',
  createStraightWithdrawal: 'https://client.ligdicash.com/wiki/createStraightWithdrawal',
} as const;

export type WikiName = keyof typeof WIKI;

export const PAYIN_ACCEPTED = 'Votre requête est en cours de traitement';
export const OTP_SENT = { error: false, message: 'OTP sent. Please check your phone.' };

/** Orange Burkina (operator "11") and Moov Burkina ("12") numbers, as the default prefix table has them. */
export const ORANGE = '11';
export const MOOV = '12';
export const WALLET_OPERATOR_ID = '0';

export type Json = Record<string, unknown>;

export interface RawResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  text: string;
  json: Json;
}

export interface RawOptions {
  /** Headers to add or replace; an undefined value is left out. */
  headers?: Record<string, string | undefined>;
  /** Header names (lower case) to leave out of the project's default headers. */
  omit?: string[];
  body?: unknown;
  rawBody?: string;
  ip?: string;
}

/**
 * A request through the real app with full control of the headers, answering the HTTP status too
 * (the harness's `call` insists on 200). The project's credentials are sent unless omitted.
 */
export async function send(
  gw: TestGateway,
  method: string,
  url: string,
  options: RawOptions = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...gw.project.headers };
  for (const name of options.omit ?? []) delete headers[name];
  for (const [name, value] of Object.entries(options.headers ?? {}))
    if (value !== undefined) headers[name] = value;
  const payload = options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  const response = await gw.app.inject({
    method: method as 'GET',
    url,
    headers,
    remoteAddress: options.ip ?? '127.0.0.1',
    ...(payload !== undefined ? { payload } : {}),
  });
  let json: Json = {};
  try {
    json = JSON.parse(response.body) as Json;
  } catch {
    // Left empty: the assertions on `status` and `json` then fail with the text in view.
  }
  return { status: response.statusCode, headers: response.headers, text: response.body, json };
}

/** The LigdiCash error envelope, exactly: five keys, `Echec (CodeXX)` and the endpoint's wiki. */
export function expectEchec(body: Json, wiki: WikiName, code: string, description?: string | RegExp): void {
  expect(Object.keys(body).sort()).toEqual([
    'description',
    'response_code',
    'response_text',
    'token',
    'wiki',
  ]);
  expect(body).toMatchObject({
    response_code: '01',
    token: '',
    response_text: `Echec (Code${code})`,
    wiki: WIKI[wiki],
  });
  expect(typeof body.description).toBe('string');
  if (typeof description === 'string') expect(body.description).toBe(description);
  else if (description !== undefined) expect(body.description).toMatch(description);
}

/** Header and payload of a JWT, after checking it is a three-part HS256 token. */
export function decodeJwt(token: unknown): { header: Json; payload: Json } {
  expect(typeof token).toBe('string');
  const parts = String(token).split('.');
  expect(parts).toHaveLength(3);
  const [header, payload] = parts
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Json);
  expect(header).toEqual({ typ: 'JWT', alg: 'HS256' });
  return { header: header ?? {}, payload: payload ?? {} };
}

/** `YYYY-MM-DD HH:MM:SS+00` of a UTC instant, LigdiCash's `date`/`start_date` form (spec §8.3). */
export function wireDateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + '+00';
}

/** Checks a creation token's claims: the id key, LigdiCash's dates, 24 h expiry. */
export function expectTokenClaims(
  token: unknown,
  idKey: 'id_invoice' | 'id_finance',
  createdAtMs: number,
): void {
  const { payload } = decodeJwt(token);
  expect(Object.keys(payload).sort()).toEqual([idKey, 'expiry_date', 'start_date'].sort());
  expect(payload[idKey]).toMatch(/^\d+$/);
  expect(payload.start_date).toBe(wireDateOf(createdAtMs));
  expect(payload.expiry_date).toBe(Math.floor(createdAtMs / 1000) + 86_400);
}

export function setProject(
  gw: TestGateway,
  changes: ProjectChanges,
  projectId = gw.project.id,
): Promise<void> {
  return gw.gw.db.command(async (tx) => {
    const updated = await updateProject(tx, projectId, changes);
    if (!updated.ok) throw new Error(`project update failed: ${updated.code}`);
  });
}

export function balances(
  gw: TestGateway,
  filter: { projectId?: string; phone?: string },
): Promise<BalanceLine[]> {
  return gw.gw.db.command((tx) => listBalances(tx, filter));
}

/** The customer's wallet balance line, or undefined when the customer has no wallet. */
export async function walletOf(gw: TestGateway, phone: string): Promise<BalanceLine | undefined> {
  return (await balances(gw, { phone })).find((line) => line.kind === 'wallet');
}

/** A project's sub-account on an operator, or undefined when it does not exist. */
export async function subOf(
  gw: TestGateway,
  operatorId: string,
  projectId = gw.project.id,
): Promise<BalanceLine | undefined> {
  return (await balances(gw, { projectId })).find(
    (line) => line.kind === 'subaccount' && line.operatorId === operatorId,
  );
}

/**
 * Every account that holds or reserves money, for "nothing moved" checks. Accounts with all sums
 * at zero are left out: a refused command may have created an empty sub-account (see
 * http-wallet-payin.test.ts, Code05), which moves no money.
 */
export async function money(gw: TestGateway): Promise<BalanceLine[]> {
  return (await balances(gw, {})).filter((line) => line.postedXof !== 0 || line.heldXof !== 0);
}

export function outbox(gw: TestGateway): Promise<OutboxTable[]> {
  return gw.gw.db.command((tx) =>
    tx.selectFrom('outbox').selectAll().orderBy('created_at_ms').orderBy('id').execute(),
  );
}

export function payins(gw: TestGateway): Promise<PayinTable[]> {
  return gw.gw.db.command((tx) => tx.selectFrom('payins').selectAll().execute());
}

export function payouts(gw: TestGateway): Promise<PayoutTable[]> {
  return gw.gw.db.command((tx) => tx.selectFrom('payouts').selectAll().execute());
}

/**
 * Asks for an OTP and returns the code the sandbox "sent". The clock moves 1 ms first: the inbox
 * orders messages by time, and two messages of one millisecond would come back in either order.
 */
export async function otpFor(
  gw: TestGateway,
  phone: string,
  amount: number,
  headers?: Record<string, string>,
): Promise<string> {
  gw.clock.advance(1);
  expect(await gw.call('GET', `/pay/v02/debitotp/${phone}/${amount}`, headers ? { headers } : {})).toEqual(
    OTP_SENT,
  );
  return latestOtp(gw, phone);
}

/** A complete wallet payin (debitotp, then withotp); returns the create envelope. */
export async function walletPayin(
  gw: TestGateway,
  phone: string,
  amount: number,
  customData: unknown = { transaction_id: 'ORD-1' },
): Promise<Json> {
  const otp = await otpFor(gw, phone, amount);
  const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', {
    body: walletPayinBody(phone, amount, otp, customData),
  });
  expect(created.response_code).toBe('00');
  return created;
}

/** A copy of an object without one key, to build requests that leave a field out. */
export function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

/** Headers that authenticate as the second project. */
export function otherHeaders(gw: TestGateway): Record<string, string> {
  return gw.other.headers;
}

/** Ways to fail authentication; each is a header patch (`omit` removes a default header). */
export function authFailures(
  gw: TestGateway,
): { name: string; headers?: Record<string, string>; omit?: string[] }[] {
  return [
    { name: 'no Apikey', omit: ['apikey'] },
    { name: 'no Authorization', omit: ['authorization'] },
    { name: 'a token without "Bearer"', headers: { authorization: gw.project.token } },
    { name: 'a Basic authorization', headers: { authorization: `Basic ${gw.project.token}` } },
    { name: 'a wrong token', headers: { authorization: 'Bearer eyJ0eXAiOiJKV1QifQ.e30.wrong' } },
    { name: "another project's token", headers: { authorization: `Bearer ${gw.other.token}` } },
    { name: "another project's Apikey", headers: { apikey: gw.other.apikey } },
    { name: 'an unknown Apikey', headers: { apikey: 'NOSUCHAPIKEY00000' } },
  ];
}
