import { randomBytes } from 'node:crypto';

/**
 * Request ids (ADR 0020). A client or a proxy in front may send its own `X-Request-Id`, so that one
 * id follows a request through every log; it is kept only when short and made of safe characters
 * (it lands in log lines, a response header and the database), and never contains `#`, which
 * separates the request from the write in a row's stamp (src/commands/request-context.ts).
 * Otherwise the gateway makes one: a random prefix per process and a counter, which costs no
 * randomness per request and cannot repeat within a process, nor, but by a 2^-48 chance, across them.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
export const REQUEST_ID_LENGTH_MAX = 64;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const processPrefix = `req_${randomBytes(6).toString('hex')}`;
let counter = 0;

export function newRequestId(): string {
  counter = counter >= Number.MAX_SAFE_INTEGER ? 1 : counter + 1;
  return `${processPrefix}${counter.toString(36).padStart(6, '0')}`;
}

/** The incoming id when it is acceptable, else a new one. */
export function requestIdFor(incoming: string | string[] | undefined): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value !== undefined && SAFE_REQUEST_ID.test(value) ? value : newRequestId();
}
