import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DatabaseModeError, MODE_SETTING, checkDatabaseMode } from '../src/commands/database-mode.js';
import { cliDeps } from '../src/cli/sandbox-commands.js';
import { startGateway } from '../src/gateway.js';
import { signSimulatorNotification, simulatorKey } from '../src/operators/simulator-desk.js';
import { SimulatorConnector, simulatorDeskOf } from '../src/operators/simulator.js';
import { OperatorRouter } from '../src/operators/registry.js';
import { DEMO_APIKEY, DEMO_API_TOKEN, seedConsoleUser, seedSandbox } from '../src/sandbox-seed.js';
import { DatabaseUnavailable, openDatabase } from '../src/store/database.js';
import { BACKENDS, type TestGateway, openTestDatabase, payoutBody, startTestGateway } from './harness.js';
import { expectEchec, money, payins, payouts, send } from './http-helpers.js';
import { E1, E2, E7, straightBody } from './payin-helpers.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';

/**
 * Production never runs sandbox code (issue 9, ADR 0009): no simulator, no magic numbers, no
 * simulator-signed notifications, no sandbox routes, no SMS inbox, no demo data; an operator with
 * no connector is refused before money is held. Each piece of sandbox-only code has its case here.
 */
const SANDBOX_ROUTES = [
  '/sandbox/sms',
  '/sandbox/pushes',
  '/sandbox/console',
  '/sandbox/operator-portal/PSH1',
];

describe('production settings', () => {
  it('needs DATABASE_URL or an explicit CAURI_DATA_DIR', () => {
    expect(() => loadConfig({ CAURI_MODE: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ CAURI_MODE: 'production' })).toThrow(/DATABASE_URL .*CAURI_DATA_DIR/);
    expect(loadConfig({ CAURI_MODE: 'production', CAURI_DATA_DIR: '/var/lib/cauri' }).dataDir).toBe(
      '/var/lib/cauri',
    );
    expect(
      loadConfig({ CAURI_MODE: 'production', DATABASE_URL: 'postgresql://cauri@db/cauri' }).databaseUrl,
    ).toBe('postgresql://cauri@db/cauri');
    // The sandbox keeps its default directory.
    expect(loadConfig({}).dataDir).toMatch(/data$/);
  });

  it.each([
    'postgress://cauri@db/cauri',
    'mysql://cauri@db/cauri',
    'sqlite:///var/cauri.db',
    'db.example:5432',
  ])('refuses DATABASE_URL %s instead of falling back to SQLite', (url) => {
    expect(() => loadConfig({ CAURI_MODE: 'production', DATABASE_URL: url })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('names the misspelt scheme on one line', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'postgress://u:secret@db/cauri' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('not postgress:');
    expect(message).not.toContain('secret');
    expect(message.split('\n')).toHaveLength(1);
  });
});

describe('an unreachable database', () => {
  it('is retried with back-off for the bounded time, then reported in one line', async () => {
    const waits: number[] = [];
    const started = Date.now();
    const error = await openDatabase({
      databaseUrl: 'postgres://postgres:hunter2@127.0.0.1:1/test',
      dataDir: ':memory:',
      connectTimeoutMs: 1_500,
      onRetry: (_reason, waitMs) => waits.push(waitMs),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailable);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^cannot connect to PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/test: connect ECONNREFUSED/,
    );
    expect(message).not.toContain('hunter2');
    expect(message.split('\n')).toHaveLength(1);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits[1]).toBeGreaterThan(waits[0] ?? 0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('is tried once when no wait is configured', async () => {
    const waits: number[] = [];
    await expect(
      openDatabase({
        databaseUrl: 'postgres://postgres@127.0.0.1:1/test',
        dataDir: ':memory:',
        onRetry: (_r, w) => waits.push(w),
      }),
    ).rejects.toThrow(DatabaseUnavailable);
    expect(waits).toEqual([]);
  });
});

describe.each(BACKENDS)('the mode a database was created in (%s)', (backend) => {
  it('is recorded, and production refuses a sandbox database', async () => {
    const testDb = await openTestDatabase(backend);
    try {
      await checkDatabaseMode(testDb.db, 'sandbox');
      await seedSandbox(testDb.db, Date.now());
      await expect(checkDatabaseMode(testDb.db, 'production')).rejects.toThrow(
        /^production refuses this database .*: it was created by the sandbox/,
      );
      const stored = await testDb.db.command((tx) =>
        tx.selectFrom('settings').select('value').where('key', '=', MODE_SETTING).executeTakeFirst(),
      );
      expect(stored?.value).toBe('sandbox');
      // The gateway itself refuses to start, and builds nothing.
      const config = { ...loadConfig({ CAURI_MODE: 'production', CAURI_DATA_DIR: ':memory:' }) };
      await expect(startGateway(config, { db: testDb.db, startWorkers: false })).rejects.toThrow(
        DatabaseModeError,
      );
    } finally {
      await testDb.destroy();
    }
  });

  it('brands an unrecorded database holding demo data as sandbox, and refuses demo data in a production one', async () => {
    const testDb = await openTestDatabase(backend);
    try {
      await seedSandbox(testDb.db, Date.now());
      await expect(checkDatabaseMode(testDb.db, 'production')).rejects.toThrow(
        'it was created by the sandbox',
      );
      // Refusing production did not make the database a production one.
      await checkDatabaseMode(testDb.db, 'sandbox');
    } finally {
      await testDb.destroy();
    }
    const second = await openTestDatabase(backend);
    try {
      await seedConsoleUser(second.db, Date.now());
      await expect(checkDatabaseMode(second.db, 'production')).rejects.toThrow(
        'it was created by the sandbox',
      );
    } finally {
      await second.destroy();
    }
    // A production database that demo data reached anyway (a copied seed, a restored dump) is refused too.
    const third = await openTestDatabase(backend);
    try {
      await checkDatabaseMode(third.db, 'production');
      await seedSandbox(third.db, Date.now());
      await expect(checkDatabaseMode(third.db, 'production')).rejects.toThrow(
        `holds the sandbox demo project (Apikey ${DEMO_APIKEY})`,
      );
    } finally {
      await third.destroy();
    }
    const fourth = await openTestDatabase(backend);
    try {
      await checkDatabaseMode(fourth.db, 'production');
      await seedConsoleUser(fourth.db, Date.now());
      await expect(checkDatabaseMode(fourth.db, 'production')).rejects.toThrow(
        'holds the sandbox demo console account',
      );
    } finally {
      await fourth.destroy();
    }
  });

  it('the sandbox refuses a production database, which must never receive demo data', async () => {
    const testDb = await openTestDatabase(backend);
    try {
      await checkDatabaseMode(testDb.db, 'production');
      await checkDatabaseMode(testDb.db, 'production');
      await expect(checkDatabaseMode(testDb.db, 'sandbox')).rejects.toThrow(
        /^the sandbox refuses this database/,
      );
      const demo = await testDb.db.command((tx) =>
        tx.selectFrom('projects').select('id').where('apikey', '=', DEMO_APIKEY).executeTakeFirst(),
      );
      expect(demo).toBeUndefined();
    } finally {
      await testDb.destroy();
    }
  });
});

describe.each(BACKENDS)('production with no connector configured (%s)', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend, { config: { mode: 'production', callbackAllowPrivate: true } });
    for (const operatorId of ['11', '12', '15', '39']) await gw.fundSub(operatorId, 100_000);
    await gw.wallet('22670000001', 10_000);
  });
  afterEach(() => gw.destroy());

  it('runs no simulator: the connector is an empty router, with no desk', () => {
    expect(simulatorDeskOf(gw.gw.connector)).toBeUndefined();
    expect(Object.getPrototypeOf(gw.gw.connector)).toBeInstanceOf(OperatorRouter);
    expect((gw.gw.connector as OperatorRouter).operatorIds()).toEqual([]);
  });

  it('refuses a direct payin from a magic number with any OTP (Code07), and holds no money', async () => {
    const before = await money(gw);
    for (const [phone, otp] of [
      ['22670000001', '1'],
      ['22670112233', '123456'],
      ['2250511223344', ''],
    ] as const) {
      const answer = await gw.call('POST', E2, { body: straightBody(phone, { otp, amount: 1000 }) });
      expectEchec(answer, 'createInvoice', '07', /available on this gateway/);
    }
    expect(await payins(gw)).toEqual([]);
    expect(await money(gw)).toEqual(before);
  });

  it('refuses a hosted invoice no operator can pay, and one for an unavailable customer operator (Code07)', async () => {
    expectEchec(
      await gw.call('POST', E1, { body: straightBody('', { amount: 1000 }) }),
      'createInvoice',
      '07',
      /available on this gateway/,
    );
    expectEchec(
      await gw.call('POST', E1, { body: straightBody('22670112233', { amount: 1000 }) }),
      'createInvoice',
      '07',
      /available on this gateway/,
    );
    expect(await payins(gw)).toEqual([]);
  });

  it('refuses payouts to mobile money (Code03) and moves nothing; a wallet top-up stays inside the ledger', async () => {
    const before = await money(gw);
    expectEchec(
      await gw.call('POST', '/pay/v01/withdrawal/create', {
        body: payoutBody('22670000001', 1000, { top_up_wallet: 0 }),
      }),
      'createWithdrawal',
      '03',
      /available on this gateway/,
    );
    expectEchec(
      await gw.call('POST', E7, {
        body: {
          commande: {
            amount: 1000,
            description: 'Supplier',
            customer: '22670000001',
            callback_url: '',
            custom_data: {},
          },
        },
      }),
      'createStraightWithdrawal',
      '03',
      /available on this gateway/,
    );
    expect(await payouts(gw)).toEqual([]);
    expect(await money(gw)).toEqual(before);
    const topUp = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody('22670000001', 1000, { top_up_wallet: 1 }),
    });
    expect(topUp.response_code).toBe('00');
    expectLedgerSound(await readLedger(gw.gw.db));
  });

  it('has no sandbox routes, no SMS inbox and no simulator portal', async () => {
    const unknown = (method: string, url: string) => ({
      response_code: '01',
      response_text: 'Echec (Code12)',
      description: `No endpoint ${method} ${url}`,
    });
    for (const url of SANDBOX_ROUTES)
      expect((await send(gw, 'GET', url)).json).toMatchObject(unknown('GET', url));
    expect(
      (await send(gw, 'POST', '/sandbox/ussd/dial', { body: { phone: '22670112233' } })).json,
    ).toMatchObject(unknown('POST', '/sandbox/ussd/dial'));
    for (const decision of ['approve', 'decline']) {
      expect((await send(gw, 'POST', `/sandbox/pushes/PSH1/${decision}`)).json).toMatchObject(
        unknown('POST', `/sandbox/pushes/PSH1/${decision}`),
      );
    }
    const docs = await send(gw, 'GET', '/openapi.json');
    expect(docs.text).not.toContain('/sandbox/');
  });

  it('refuses a notification signed with the simulator key (401)', async () => {
    const raw = signSimulatorNotification(simulatorKey(gw.gw.tokenSecret), {
      reference: 'pay_x.1',
      operatorId: '11',
      status: 'completed',
      reason: null,
      operatorReference: 'SIM1',
    });
    const response = await gw.app.inject({
      method: 'POST',
      url: '/operators/11/notify',
      headers: raw.headers as Record<string, string>,
      payload: raw.body as Record<string, unknown>,
    });
    expect(response.statusCode).toBe(401);
  });

  it('sends no OTP without an SMS provider, and the demo credentials do not exist', async () => {
    const otp = await gw.call('GET', '/pay/v02/debitotp/22670000001/1000');
    expect(otp.error).toBe(true);
    const demo = await send(gw, 'GET', '/pay/v02/debitotp/22670000001/1000', {
      headers: { apikey: DEMO_APIKEY, authorization: `Bearer ${DEMO_API_TOKEN}` },
    });
    expect(demo.json.error ?? true).toBe(true);
    expect(demo.text).not.toContain('OTP sent');
  });
});

describe('the simulator in production', () => {
  it('cannot be given to a production gateway', async () => {
    const testDb = await openTestDatabase('sqlite');
    try {
      const config = loadConfig({ CAURI_MODE: 'production', CAURI_DATA_DIR: ':memory:' });
      await expect(
        startGateway(config, { db: testDb.db, startWorkers: false, connector: new SimulatorConnector() }),
      ).rejects.toThrow('production never runs the operator simulator');
    } finally {
      await testDb.destroy();
    }
  });

  it('cannot be reached from the CLI', async () => {
    const saved = process.env.CAURI_MODE;
    const savedDir = process.env.CAURI_DATA_DIR;
    process.env.CAURI_MODE = 'production';
    process.env.CAURI_DATA_DIR = ':memory:';
    const testDb = await openTestDatabase('sqlite');
    try {
      await expect(cliDeps(testDb.db)).rejects.toThrow('sandbox actions exist only in sandbox mode');
    } finally {
      if (saved === undefined) delete process.env.CAURI_MODE;
      else process.env.CAURI_MODE = saved;
      if (savedDir === undefined) delete process.env.CAURI_DATA_DIR;
      else process.env.CAURI_DATA_DIR = savedDir;
      await testDb.destroy();
    }
  });
});
