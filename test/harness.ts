import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../src/config.js';
import { loadConfig } from '../src/config.js';
import type { Clock } from '../src/core/clock.js';
import { createProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount, fundWallet } from '../src/commands/wallets.js';
import type { Xof } from '../src/core/money.js';
import { type Running, startGateway } from '../src/gateway.js';
import type { OperatorConnector } from '../src/operators/connector.js';
import type { SmsProvider } from '../src/sms/provider.js';
import { type Database, openDatabase } from '../src/store/database.js';

/**
 * Test harness: a real gateway on a real database. SQLite runs in a fresh temporary directory;
 * PostgreSQL runs in a fresh schema of the database at CAURI_TEST_DATABASE_URL (default: the
 * machines' local server). Without PostgreSQL its suites skip with a printed reason, unless
 * CAURI_REQUIRE_POSTGRES=1 (as in CI) turns the absence into a failure.
 */
export type Backend = 'sqlite' | 'postgres';

export const PG_URL = process.env.CAURI_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgProbe: Promise<string | undefined> | undefined;

/** Why PostgreSQL cannot be used, or undefined when it can. */
export function postgresUnavailable(): Promise<string | undefined> {
  pgProbe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL at ${PG_URL} is not reachable (${(error as Error).message})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgProbe;
}

const pgReason = await postgresUnavailable();
if (pgReason !== undefined && process.env.CAURI_REQUIRE_POSTGRES === '1') {
  throw new Error(`CAURI_REQUIRE_POSTGRES=1 but ${pgReason}`);
}
if (pgReason !== undefined) console.warn(`[cauri tests] skipping PostgreSQL suites: ${pgReason}`);

/** The backends a suite runs on: SQLite always, PostgreSQL when reachable. */
export const BACKENDS: Backend[] = pgReason === undefined ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  db: Database;
  /** The settings that open the same database from another process (DATABASE_URL or CAURI_DATA_DIR). */
  env: Record<string, string>;
  /** Drops the schema or removes the directory. */
  destroy(): Promise<void>;
}

export async function openTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'cauri-test-'));
    const db = await openDatabase({ dataDir: dir });
    return {
      db,
      env: { CAURI_DATA_DIR: dir },
      async destroy() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { schema, db, url } = await openPostgresSchema();
  return {
    db,
    env: { DATABASE_URL: url },
    async destroy() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: PG_URL });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/**
 * A fresh schema, migrated. Its connections commit without waiting for the WAL flush
 * (`synchronous_commit=off`): what one commits is seen by every other at once as before, and only
 * a crash of the PostgreSQL server, which no test causes, could lose it. Setup and the suites
 * then no longer wait on the disk.
 *
 * Kysely's migrator reads the catalogue of every schema in the database, so a schema another test
 * drops at that moment fails the migration ("schema … does not exist"): that is a race between
 * tests, not a defect, so start again in a new schema, a bounded number of times.
 */
async function openPostgresSchema(attemptsMax = 4): Promise<{ schema: string; db: Database; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    await adminQuery(`create schema ${schema}`);
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema} -c synchronous_commit=off`)}`;
    try {
      return { schema, url, db: await openDatabase({ databaseUrl: url, dataDir: ':memory:', poolSize: 20 }) };
    } catch (error) {
      await adminQuery(`drop schema if exists ${schema} cascade`);
      if (attempt >= attemptsMax || !/does not exist/.test(String(error))) throw error;
    }
  }
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2026, 10, 22, 12, 0, 0)) {}
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface TestProject {
  id: string;
  apikey: string;
  token: string;
  headers: Record<string, string>;
}

export interface TestGateway extends Running {
  backend: Backend;
  clock: ManualClock;
  project: TestProject;
  /** A second project, for "another project's token" cases. */
  other: TestProject;
  /** An in-process HTTP request through the real app. */
  call(
    method: 'GET' | 'POST',
    url: string,
    options?: { body?: unknown; headers?: Record<string, string>; ip?: string; rawBody?: string },
  ): Promise<Record<string, unknown>>;
  /** Runs one command against the database. */
  fundSub(operatorId: string, amountXof: number, projectId?: string): Promise<void>;
  wallet(phone: string, amountXof: number): Promise<void>;
  destroy(): Promise<void>;
}

export interface GatewayOptions {
  connector?: OperatorConnector;
  config?: Partial<Config>;
  /** Production's SMS provider for wallet OTPs (ADR 0014). */
  sms?: SmsProvider;
}

export async function startTestGateway(backend: Backend, options: GatewayOptions = {}): Promise<TestGateway> {
  const testDb = await openTestDatabase(backend);
  const clock = new ManualClock();
  const config: Config = {
    ...loadConfig({ CAURI_MODE: 'sandbox' }),
    otpIssuedPerHourMax: 1000,
    ...options.config,
  };
  const running = await startGateway(config, {
    db: testDb.db,
    clock,
    startWorkers: false,
    ...(options.connector ? { connector: options.connector } : {}),
    ...(options.sms ? { sms: options.sms } : {}),
  });
  const makeProject = async (name: string): Promise<TestProject> => {
    const created = await testDb.db.command((tx) =>
      createProject(
        tx,
        { name, payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
        clock.nowMs(),
      ),
    );
    if (!created.ok) throw new Error('project creation failed');
    const { project, apiToken } = created.value;
    return {
      id: project.id,
      apikey: project.apikey,
      token: apiToken,
      headers: {
        apikey: project.apikey,
        authorization: `Bearer ${apiToken}`,
        accept: 'application/json',
        'content-type': 'application/json',
      },
    };
  };
  const project = await makeProject('Test shop');
  const other = await makeProject('Other shop');
  const gateway: TestGateway = {
    ...running,
    backend,
    clock,
    project,
    other,
    async call(method, url, opts = {}) {
      const response = await running.app.inject({
        method,
        url,
        headers: { ...project.headers, ...opts.headers },
        remoteAddress: opts.ip ?? '127.0.0.1',
        ...(opts.rawBody !== undefined
          ? { payload: opts.rawBody }
          : opts.body !== undefined
            ? { payload: JSON.stringify(opts.body) }
            : {}),
      });
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`);
      return JSON.parse(response.body) as Record<string, unknown>;
    },
    async fundSub(operatorId, amountXof, projectId = project.id) {
      const result = await testDb.db.command((tx) =>
        fundSubaccount(tx, testDb.db.dialect, projectId, operatorId, amountXof as Xof, clock.nowMs()),
      );
      if (!result.ok) throw new Error(`funding failed: ${result.code}`);
    },
    async wallet(phone, amountXof) {
      await testDb.db.command(async (tx) => {
        const created = await createWallet(tx, phone, null, clock.nowMs());
        if (!created.ok) throw new Error(`wallet failed: ${created.code}`);
        if (amountXof > 0) {
          const funded = await fundWallet(tx, testDb.db.dialect, phone, amountXof as Xof, clock.nowMs());
          if (!funded.ok) throw new Error(`wallet funding failed: ${funded.code}`);
        }
      });
    },
    async destroy() {
      await running.dispatcher.stop();
      await running.app.close();
      await testDb.destroy();
    },
  };
  return gateway;
}

/** The latest OTP the sandbox "sent" to a phone, read from the SMS inbox. */
export async function latestOtp(gateway: TestGateway, phone: string): Promise<string> {
  const inbox = await gateway.call('GET', `/sandbox/sms?phone=${phone}&limit=1`);
  const messages = inbox.messages as { body: string }[];
  const match = /(\d{6})/.exec(messages[0]?.body ?? '');
  if (!match?.[1]) throw new Error(`no OTP for ${phone}`);
  return match[1];
}

export function walletPayinBody(
  phone: string,
  amount: number | string,
  otp: string,
  customData: unknown = { transaction_id: 'ORD-1' },
) {
  return {
    commande: {
      invoice: {
        items: [],
        total_amount: amount,
        devise: 'XOF',
        description: 'Test order',
        customer: phone,
        customer_firstname: 'Awa',
        customer_lastname: 'O',
        customer_email: '',
        external_id: '',
        otp,
      },
      store: { name: 'Test shop', website_url: 'https://shop.example' },
      actions: { cancel_url: '', return_url: '', callback_url: 'https://shop.example/cb' },
      custom_data: customData,
    },
  };
}

export function payoutBody(phone: string, amount: number | string, extra: Record<string, unknown> = {}) {
  return {
    commande: {
      amount,
      description: 'Refund',
      customer: phone,
      callback_url: 'https://shop.example/cb',
      custom_data: {},
      top_up_wallet: 1,
      ...extra,
    },
  };
}
