import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { expectEchec } from './http-helpers.js';
import { exchange, listenLocal, requestHead } from './raw-http.js';

/**
 * Issue 10: a request head the HTTP parser refuses (over Node's 16 KiB: a 24-200 KB `Apikey`,
 * hundreds of headers) or cannot read never reaches a route. It used to get Fastify's own JSON
 * 431/400 body, which no SDK can parse, and a socket destroyed with bytes unread (a reset that can
 * eat even that). Now: HTTP 200, the createInvoice Data Input envelope, `connection: close`, and
 * the rest of the request read and discarded so the answer arrives. A real server and raw
 * sockets: `app.inject` does not go through the HTTP parser.
 */
const WITHDRAWAL = '/pay/v01/withdrawal/create';

describe.each(BACKENDS)('an unreadable request head on %s', (backend) => {
  let gw: TestGateway;
  let port: number;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    port = await listenLocal(gw);
  });
  afterEach(async () => gw.destroy());

  function withdrawalHead(extra: [string, string][]): string {
    const body = JSON.stringify(payoutBody('22670111111', 5000));
    return (
      requestHead('POST', WITHDRAWAL, [
        ['host', 'localhost'],
        ...Object.entries(gw.project.headers),
        ['content-length', String(Buffer.byteLength(body))],
        ...extra,
      ]) + body
    );
  }

  it.each([
    ['a 24 KB Apikey', 24 * 1024],
    ['a 200 KB Apikey', 200 * 1024],
  ])('answers %s with HTTP 200 and the Data Input envelope', async (_label, bytes) => {
    const answer = await exchange(port, withdrawalHead([['apikey', 'A'.repeat(bytes)]]));
    expect(answer.errorCode, answer.received.slice(0, 200)).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers.connection).toBe('close');
    expectEchec(
      JSON.parse(answer.body) as Record<string, unknown>,
      'createInvoice',
      '08',
      'Request head too large',
    );
  });

  it('answers hundreds of headers the same way', async () => {
    const many = Array.from({ length: 500 }, (_, index): [string, string] => [
      `x-filler-${index}`,
      'v'.repeat(60),
    ]);
    const answer = await exchange(port, withdrawalHead(many));
    expect(answer.errorCode).toBeUndefined();
    expect(answer.status).toBe(200);
    expectEchec(
      JSON.parse(answer.body) as Record<string, unknown>,
      'createInvoice',
      '08',
      'Request head too large',
    );
  });

  it.each([
    ['a garbage request line', 'GARBAGE\r\n\r\n'],
    ['a header without a colon', 'GET /health HTTP/1.1\r\nhost localhost\r\n\r\n'],
    ['a control character in a header value', 'GET /health HTTP/1.1\r\nhost: local\u0001host\r\n\r\n'],
    [
      'a malformed chunk size',
      `POST ${WITHDRAWAL} HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ],
  ])('answers %s with HTTP 200 and the Data Input envelope', async (_label, raw) => {
    const answer = await exchange(port, raw);
    expect(answer.status, answer.received.slice(0, 200)).toBe(200);
    expectEchec(
      JSON.parse(answer.body) as Record<string, unknown>,
      'createInvoice',
      '08',
      'Malformed HTTP request',
    );
  });

  it('still serves a request head under the limit', async () => {
    const answer = await exchange(
      port,
      requestHead('GET', '/health', { host: 'localhost', apikey: 'A'.repeat(8 * 1024) }),
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok', mode: 'sandbox' });
  });
});
