import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { expectEchec, send } from './http-helpers.js';

/**
 * `CAURI_TRUST_PROXY` (ADR 0016). `true` trusts every hop, so the client address is the leftmost
 * `X-Forwarded-For` entry, which the client writes itself: anyone could pass the payout IP
 * allow-list by sending `X-Forwarded-For: <an allowed address>`. Production refuses `true`; a list
 * of the proxies' addresses takes the rightmost entry no listed proxy wrote. A hop count is refused
 * too: Fastify 5 ignores numbers, and `1` would be read as the address 0.0.0.1.
 */
const PRODUCTION = { CAURI_MODE: 'production', CAURI_DATA_DIR: ':memory:' };
const PHONE = '22670100400';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

describe('CAURI_TRUST_PROXY settings', () => {
  it('production refuses true, in one line that names the setting and the fix', () => {
    const message = configError({ ...PRODUCTION, CAURI_TRUST_PROXY: 'true' });
    expect(message).toContain('CAURI_TRUST_PROXY');
    expect(message).not.toContain('\n');
    expect(configError({ ...PRODUCTION, CAURI_TRUST_PROXY: ' true ' })).toContain('CAURI_TRUST_PROXY');
  });

  it('the sandbox keeps true for local set-ups', () => {
    expect(loadConfig({ CAURI_MODE: 'sandbox', CAURI_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it.each(['1', '2', 'foo', '10.0.0.1/33', '10.0.0.1/8/1', '10.0.0.1, nope'])('refuses %s', (value) => {
    expect(configError({ ...PRODUCTION, CAURI_TRUST_PROXY: value })).toContain('CAURI_TRUST_PROXY');
  });

  it.each([
    ['', false],
    ['false', false],
    ['10.0.0.1', '10.0.0.1'],
    ['10.0.0.0/8, loopback', '10.0.0.0/8, loopback'],
    ['::1,fd00::/8,uniquelocal', '::1,fd00::/8,uniquelocal'],
  ])('production accepts %j', (value, expected) => {
    expect(loadConfig({ ...PRODUCTION, CAURI_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });
});

describe.each(BACKENDS)('client address behind a proxy on %s', (backend) => {
  let gw: TestGateway;
  afterEach(async () => gw.destroy());

  async function payoutFrom(forwardedFor: string) {
    return (
      await send(gw, 'POST', '/pay/v01/straight/payout', {
        body: payoutBody(PHONE, 1000),
        headers: { 'x-forwarded-for': forwardedFor },
        ip: '10.0.0.5',
      })
    ).json;
  }

  it('with the proxy listed, a client-written leftmost X-Forwarded-For does not pass the IP allow-list', async () => {
    gw = await startTestGateway(backend, { config: { trustProxy: '10.0.0.0/8' } });
    await gw.fundSub('11', 10_000);
    // The client claims the allowed 127.0.0.1; the proxy (10.0.0.5) appended the real address.
    expectEchec(await payoutFrom('127.0.0.1, 203.0.113.9'), 'createStraightWithdrawal', '14');
    // A client the proxy saw as 127.0.0.1 is allowed.
    expect((await payoutFrom('127.0.0.1')).response_code).toBe('00');
  });
});
