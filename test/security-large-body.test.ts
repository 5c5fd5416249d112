import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { expectEchec } from './http-helpers.js';
import { exchange, listenLocal, requestHead } from './raw-http.js';

/**
 * Issue 10: a body of a few megabytes (over the 64 KiB limit) gets the "Request body too large"
 * envelope early, while the client is still sending. If the server then closed the connection with
 * the rest of the body unread, the kernel would answer with a TCP reset and the client would lose
 * the envelope. The gateway reads and discards the rest, up to a bound, so the answer arrives.
 * A real server and raw sockets: `app.inject` has no TCP connection to reset.
 */
const WITHDRAWAL = '/pay/v01/withdrawal/create';
const ROUNDS = 3;

describe.each(BACKENDS)('an oversize body on %s', (backend) => {
  let gw: TestGateway;
  let port: number;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    port = await listenLocal(gw);
  });
  afterEach(async () => gw.destroy());

  it.each([3, 5])(
    'answers a %i MB body declared by Content-Length with the envelope, not a reset',
    async (megabytes) => {
      const body = Buffer.alloc(megabytes * 1024 * 1024, 'x');
      for (let round = 0; round < ROUNDS; round++) {
        const head = requestHead('POST', WITHDRAWAL, {
          host: 'localhost',
          ...gw.project.headers,
          'content-length': String(body.length),
        });
        const answer = await exchange(port, head, { body });
        expect(answer.errorCode, answer.received.slice(0, 200)).toBeUndefined();
        expect(answer.status).toBe(200);
        expectEchec(
          JSON.parse(answer.body) as Record<string, unknown>,
          'createWithdrawal',
          '09',
          'Request body too large',
        );
      }
    },
  );

  it('answers a 4 MB chunked body (no Content-Length) with the envelope, not a reset', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const framed = Buffer.from(`${(64 * 1024).toString(16)}\r\n${chunk}\r\n`.repeat(64) + '0\r\n\r\n');
    for (let round = 0; round < ROUNDS; round++) {
      const head = requestHead('POST', WITHDRAWAL, {
        host: 'localhost',
        ...gw.project.headers,
        'transfer-encoding': 'chunked',
      });
      const answer = await exchange(port, head, { body: framed });
      expect(answer.errorCode, answer.received.slice(0, 200)).toBeUndefined();
      expect(answer.status).toBe(200);
      expectEchec(
        JSON.parse(answer.body) as Record<string, unknown>,
        'createWithdrawal',
        '09',
        'Request body too large',
      );
    }
  });

  it('keeps the connection usable for the next request once the body is drained', async () => {
    const body = Buffer.alloc(1024 * 1024, 'x');
    const head = requestHead('POST', WITHDRAWAL, {
      host: 'localhost',
      ...gw.project.headers,
      'content-length': String(body.length),
    });
    const next = requestHead('GET', '/health', { host: 'localhost' });
    const answer = await exchange(port, head, {
      body: Buffer.concat([body, Buffer.from(next)]),
      responses: 2,
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      response_code: '01',
      description: 'Request body too large',
    });
    expect(answer.received).toContain('{"status":"ok","mode":"sandbox"}');
  });

  it('drops a connection whose body goes on past the drain bound, without reading it all', async () => {
    const body = Buffer.alloc(64 * 1024 * 1024, 'x');
    const head = requestHead('POST', WITHDRAWAL, {
      host: 'localhost',
      ...gw.project.headers,
      'content-length': String(body.length),
    });
    const answer = await exchange(port, head, { body, waitMs: 20_000 });
    // This client reads only once it has sent everything, so it never gets there: the gateway gave up first.
    expect(answer.errorCode).toMatch(/^(EPIPE|ECONNRESET)$/);
  });
});
