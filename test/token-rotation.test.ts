import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { verifyToken } from '../src/core/tokens.js';
import { type Running, startGateway } from '../src/gateway.js';
import { signSimulatorNotification, simulatorKey } from '../src/operators/simulator-desk.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { ORANGE, type Json, walletPayin } from './http-helpers.js';
import { E1, checkoutBody, pagePath } from './payin-helpers.js';

/**
 * Rotating CAURI_TOKEN_SECRET with a grace period (ADR 0022): a gateway restarted with a new
 * secret and the old one as CAURI_TOKEN_SECRET_PREVIOUS still accepts the tokens the old one
 * signed, through the real endpoints that take tokens, until CAURI_TOKEN_SECRET_PREVIOUS_UNTIL;
 * then they are refused like forged ones. New tokens are signed with the new secret only.
 */
const OLD_SECRET = 'o'.repeat(40);
const NEW_SECRET = 'n'.repeat(40);
const PHONE = '22670111111';
const HOUR_MS = 3_600_000;

describe.each(BACKENDS)('token-secret rotation on %s', (backend) => {
  let gw: TestGateway;
  let rotated: Running | undefined;
  beforeEach(async () => {
    gw = await startTestGateway(backend, { config: { tokenSecret: OLD_SECRET } });
    await gw.wallet(PHONE, 100_000);
    await gw.fundSub(ORANGE, 100_000);
  });
  afterEach(async () => {
    await rotated?.app.close();
    rotated = undefined;
    await gw.destroy();
  });

  /** The same database behind a gateway restarted with the new secret, the old one accepted for a day. */
  async function rotate(graceMs = 24 * HOUR_MS): Promise<Running> {
    const config = {
      ...(gw.gw.config as ReturnType<typeof loadConfig>),
      tokenSecret: NEW_SECRET,
      tokenSecretPrevious: { secret: OLD_SECRET, untilMs: gw.clock.nowMs() + graceMs },
    };
    rotated = await startGateway(config, { db: gw.gw.db, clock: gw.clock, startWorkers: false });
    return rotated;
  }

  async function call(running: Running, method: 'GET' | 'POST', url: string, body?: unknown): Promise<Json> {
    const response = await running.app.inject({
      method,
      url,
      headers: gw.project.headers,
      remoteAddress: '127.0.0.1',
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return JSON.parse(response.body) as Json;
  }

  const payinConfirm = (running: Running, token: string) =>
    call(running, 'GET', `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${token}`);
  const payoutConfirm = (running: Running, token: string) =>
    call(running, 'GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`);

  it('accepts old tokens on confirm and on the payment page during the grace, and refuses them after', async () => {
    const payin = String((await walletPayin(gw, PHONE, 1500)).token);
    const payout = String(
      (
        await gw.call('POST', '/pay/v01/withdrawal/create', {
          body: payoutBody(PHONE, 1000, { custom_data: { transaction_id: 'PO-1' } }),
        })
      ).token,
    );
    const invoice = await gw.call('POST', E1, { body: checkoutBody() });
    const page = pagePath(invoice.response_text);
    expect(verifyToken(payin, OLD_SECRET)).toBeDefined();

    const running = await rotate();
    expect(await payinConfirm(running, payin)).toMatchObject({ response_code: '00', status: 'completed' });
    expect(await payoutConfirm(running, payout)).toMatchObject({ response_code: '00' });
    expect((await running.app.inject({ method: 'GET', url: page })).statusCode).toBe(200);

    gw.clock.advance(24 * HOUR_MS);
    expect(await payinConfirm(running, payin)).toMatchObject({
      response_code: '01',
      response_text: 'Echec (Code02)',
    });
    expect(await payoutConfirm(running, payout)).toMatchObject({
      response_code: '01',
      response_text: 'Echec (Code02)',
    });
    expect((await running.app.inject({ method: 'GET', url: page })).statusCode).toBe(404);
  });

  it('signs new tokens with the new secret only, which verify before, during and after the grace', async () => {
    const running = await rotate(HOUR_MS);
    const created = await call(running, 'POST', E1, { ...checkoutBody() });
    const token = String(created.token);
    expect(verifyToken(token, NEW_SECRET)).toBeDefined();
    expect(verifyToken(token, OLD_SECRET)).toBeUndefined();
    gw.clock.advance(2 * HOUR_MS);
    expect(await payinConfirm(running, token)).toMatchObject({ response_code: '00', status: 'pending' });
    expect(
      (await running.app.inject({ method: 'GET', url: pagePath(created.response_text) })).statusCode,
    ).toBe(200);
  });

  it('refuses old tokens at once when no previous secret is configured', async () => {
    const payin = String((await walletPayin(gw, PHONE, 1500)).token);
    const config = {
      ...(gw.gw.config as ReturnType<typeof loadConfig>),
      tokenSecret: NEW_SECRET,
      tokenSecretPrevious: undefined,
    };
    rotated = await startGateway(config, { db: gw.gw.db, clock: gw.clock, startWorkers: false });
    expect(await payinConfirm(rotated, payin)).toMatchObject({ response_code: '01' });
  });

  it('accepts simulator notifications signed with the old key during the grace only (sandbox)', async () => {
    const running = await rotate(HOUR_MS);
    const raw = signSimulatorNotification(simulatorKey(OLD_SECRET), {
      reference: 'pay_unknown.1',
      operatorId: ORANGE,
      status: 'failed',
      reason: 'declined',
      operatorReference: 'SIM1',
    });
    const notify = () =>
      running.app.inject({
        method: 'POST',
        url: `/operators/${ORANGE}/notify`,
        headers: raw.headers as Record<string, string>,
        payload: raw.body as Record<string, unknown>,
      });
    expect((await notify()).statusCode).not.toBe(401);
    gw.clock.advance(HOUR_MS);
    expect((await notify()).statusCode).toBe(401);
  });
});

describe.each(BACKENDS)('rotating the generated sandbox secret on %s', (backend) => {
  it('names the secret kept in the database as the previous one', async () => {
    const gw = await startTestGateway(backend);
    let rotated: Running | undefined;
    try {
      const stored = await gw.gw.db.command((tx) =>
        tx.selectFrom('settings').select('value').where('key', '=', 'token_secret').executeTakeFirstOrThrow(),
      );
      expect(gw.gw.tokenSecret).toBe(stored.value);
      await gw.wallet(PHONE, 10_000);
      const payin = String((await walletPayin(gw, PHONE, 1500)).token);
      const config = {
        ...(gw.gw.config as ReturnType<typeof loadConfig>),
        tokenSecret: NEW_SECRET,
        tokenSecretPrevious: { secret: stored.value, untilMs: gw.clock.nowMs() + HOUR_MS },
      };
      rotated = await startGateway(config, { db: gw.gw.db, clock: gw.clock, startWorkers: false });
      const confirm = async () =>
        JSON.parse(
          (
            await rotated?.app.inject({
              method: 'GET',
              url: `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${payin}`,
              headers: gw.project.headers,
              remoteAddress: '127.0.0.1',
            })
          )?.body ?? '{}',
        ) as Json;
      expect(await confirm()).toMatchObject({ response_code: '00', status: 'completed' });
      gw.clock.advance(HOUR_MS);
      expect(await confirm()).toMatchObject({ response_code: '01', response_text: 'Echec (Code02)' });
    } finally {
      await rotated?.app.close();
      await gw.destroy();
    }
  });
});

describe('CAURI_TOKEN_SECRET_PREVIOUS settings', () => {
  const base = { CAURI_MODE: 'sandbox', CAURI_TOKEN_SECRET: NEW_SECRET };

  it('takes the previous secret with an explicit end', () => {
    const config = loadConfig({
      ...base,
      CAURI_TOKEN_SECRET_PREVIOUS: OLD_SECRET,
      CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: new Date(Date.now() + 7 * 24 * HOUR_MS).toISOString(),
    });
    expect(config.tokenSecretPrevious?.secret).toBe(OLD_SECRET);
    expect(
      loadConfig({
        ...base,
        CAURI_TOKEN_SECRET_PREVIOUS: OLD_SECRET,
        CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: '2020-01-01',
      }).tokenSecretPrevious?.untilMs,
    ).toBe(Date.UTC(2020, 0, 1));
    expect(loadConfig(base).tokenSecretPrevious).toBeUndefined();
  });

  it('refuses a half, short, unchanged, local-time or too distant setting', () => {
    const soon = new Date(Date.now() + HOUR_MS).toISOString();
    expect(() => loadConfig({ ...base, CAURI_TOKEN_SECRET_PREVIOUS: OLD_SECRET })).toThrow(/go together/);
    expect(() => loadConfig({ ...base, CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: soon })).toThrow(/go together/);
    expect(() =>
      loadConfig({ ...base, CAURI_TOKEN_SECRET_PREVIOUS: 'short', CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: soon }),
    ).toThrow(/at least 32/);
    expect(() =>
      loadConfig({
        ...base,
        CAURI_TOKEN_SECRET_PREVIOUS: NEW_SECRET,
        CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: soon,
      }),
    ).toThrow(/same as/);
    expect(() =>
      loadConfig({
        ...base,
        CAURI_TOKEN_SECRET_PREVIOUS: OLD_SECRET,
        CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: '2027-01-31T00:00:00',
      }),
    ).toThrow(/ISO 8601/);
    expect(() =>
      loadConfig({
        ...base,
        CAURI_TOKEN_SECRET_PREVIOUS: OLD_SECRET,
        CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: 'tomorrow',
      }),
    ).toThrow(/ISO 8601/);
    const far = new Date(Date.now() + 400 * 24 * HOUR_MS).toISOString();
    expect(() =>
      loadConfig({
        ...base,
        CAURI_TOKEN_SECRET_PREVIOUS: OLD_SECRET,
        CAURI_TOKEN_SECRET_PREVIOUS_UNTIL: far,
      }),
    ).toThrow(/at most 366 days/);
  });
});
