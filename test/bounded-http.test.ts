import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransportError, boundedHttp } from '../src/util/bounded-http.js';

/** The bounds of the one outbound client of operator connectors and the SMS hook. */
describe('boundedHttp', () => {
  const server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(10_000));
    } else if (req.url === '/hang') {
      // Never answers.
    } else {
      res.writeHead(201, { 'x-echo': req.method ?? '' });
      res.end('ok');
    }
  });
  let origin = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers the status, headers and text', async () => {
    expect(
      await boundedHttp({
        method: 'PUT',
        url: `${origin}/`,
        timeoutMs: 1_000,
        bytesMax: 100,
        overflow: 'fail',
      }),
    ).toMatchObject({ status: 201, text: 'ok', headers: { 'x-echo': 'PUT' } });
  });

  it('refuses an answer over the bound, or cuts it, as asked', async () => {
    const refused = await boundedHttp({
      method: 'GET',
      url: `${origin}/big`,
      timeoutMs: 1_000,
      bytesMax: 4_096,
      overflow: 'fail',
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpTransportError);
    expect((refused as HttpTransportError).kind).toBe('too_large');
    const cut = await boundedHttp({
      method: 'GET',
      url: `${origin}/big`,
      timeoutMs: 1_000,
      bytesMax: 4_096,
      overflow: 'truncate',
      agent: false,
    });
    expect(cut.status).toBe(200);
    expect(cut.text).toBe('x'.repeat(4_096));
  });

  it('times out, and says so', async () => {
    const error = await boundedHttp({
      method: 'GET',
      url: `${origin}/hang`,
      timeoutMs: 100,
      bytesMax: 100,
      overflow: 'fail',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', message: 'timed out: no answer within 100 ms' });
  });

  it('rejects a refused connection and an invalid URL as network failures', async () => {
    await expect(
      boundedHttp({
        method: 'GET',
        url: 'http://127.0.0.1:1/',
        timeoutMs: 1_000,
        bytesMax: 100,
        overflow: 'fail',
      }),
    ).rejects.toMatchObject({ kind: 'network' });
    await expect(
      boundedHttp({ method: 'GET', url: 'not a url', timeoutMs: 1_000, bytesMax: 100, overflow: 'fail' }),
    ).rejects.toMatchObject({ kind: 'network' });
  });
});
