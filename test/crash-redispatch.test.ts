import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkDatabaseMode } from '../src/commands/database-mode.js';
import { createProject } from '../src/commands/projects.js';
import { fundSubaccount } from '../src/commands/wallets.js';
import type { Xof } from '../src/core/money.js';
import { momoReferenceId } from '../src/operators/mtn-momo.js';
import { BACKENDS, type TestDatabase, openTestDatabase } from './harness.js';
import {
  type GatewayProcess,
  ensureBuilt,
  failedStart,
  freePort,
  startGatewayProcess,
} from './gateway-process.js';
import {
  FAKE_COLLECTION,
  FAKE_DISBURSEMENT,
  type MtnMomoFake,
  startMtnMomoFake,
} from './fakes/mtn-momo-fake.js';

/**
 * Issue 9: an operator is never paid twice, even when the gateway dies in the middle of the call.
 * The gateway runs as its own process (`node dist/src/main.js`, production mode, the MTN MoMo
 * connector against the fake on loopback); the fake takes the transfer and never answers, the test
 * kills the gateway with SIGKILL while it waits, starts it again on the same database, and checks
 * that the restarted gateway asked for the status before any re-send, that MoMo created one
 * transfer for the reference, and that the call cut by the crash is on record.
 */
const PHONE = '2250512345678';
const AMOUNT = 2500;

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(BACKENDS)('a gateway killed mid-call (%s)', (backend) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(): Promise<{
    fake: MtnMomoFake;
    testDb: TestDatabase;
    env: Record<string, string>;
    headers: Record<string, string>;
    port: number;
  }> {
    const fake = await startMtnMomoFake();
    cleanups.push(() => fake.stop());
    const testDb = await openTestDatabase(backend);
    cleanups.push(() => testDb.destroy());
    await checkDatabaseMode(testDb.db, 'production');
    const created = await testDb.db.command((tx) =>
      createProject(
        tx,
        { name: 'Crash shop', payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
        Date.now(),
      ),
    );
    if (!created.ok) throw new Error('project');
    const projectId = created.value.project.id;
    const funded = await testDb.db.command((tx) =>
      fundSubaccount(tx, testDb.db.dialect, projectId, '15', 100_000 as Xof, Date.now()),
    );
    if (!funded.ok) throw new Error('funding');
    const dir = mkdtempSync(path.join(tmpdir(), 'cauri-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const connectorsFile = path.join(dir, 'connectors.json');
    writeFileSync(
      connectorsFile,
      JSON.stringify({
        connectors: [
          {
            type: 'mtn-momo',
            operators: ['15'],
            // The API keys come from the environment, as the production guide says.
            settings: fake.settings({
              collectionApiKey: { env: 'MOMO_COLLECTION_KEY' },
              disbursementApiKey: { env: 'MOMO_DISBURSEMENT_KEY' },
            }),
          },
        ],
      }),
    );
    const port = await freePort();
    const env = {
      ...testDb.env,
      CAURI_MODE: 'production',
      CAURI_PUBLIC_URL: `http://127.0.0.1:${port}`,
      CAURI_CONNECTORS_FILE: connectorsFile,
      MOMO_COLLECTION_KEY: FAKE_COLLECTION.apiKey,
      MOMO_DISBURSEMENT_KEY: FAKE_DISBURSEMENT.apiKey,
      CAURI_DISPATCH_LEASE_SECONDS: '1',
      CAURI_DISPATCH_INTERVAL_MS: '100',
      CAURI_OPERATOR_TIMEOUT_MS: '30000',
      CAURI_CALLBACK_INTERVAL_MS: '60000',
    };
    const { apikey } = created.value.project;
    const headers = {
      apikey,
      authorization: `Bearer ${created.value.apiToken}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    return { fake, testDb, env, headers, port };
  }

  async function start(env: Record<string, string>, port: number): Promise<GatewayProcess> {
    const gateway = await startGatewayProcess(env, port);
    cleanups.push(() => gateway.kill());
    return gateway;
  }

  it('asks MoMo for the status before any re-send, and MoMo pays once', async () => {
    const { fake, testDb, env, headers, port } = await setup();
    // MoMo takes the transfer, then its answer is lost: the gateway waits (30 s timeout) and is killed.
    fake.setOutcome(PHONE, { status: 'PENDING' });
    fake.fault({ route: 'transfer', kind: 'lost' });
    const first = await start(env, port);
    const created = (await (
      await fetch(`${first.url}/pay/v01/straight/payout`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          commande: {
            amount: AMOUNT,
            description: 'Supplier',
            customer: PHONE,
            callback_url: '',
            custom_data: { transaction_id: 'CRASH-1' },
          },
        }),
      })
    ).json()) as { response_code: string; token: string };
    expect(created.response_code).toBe('00');
    const payout = await until('the payout row', () =>
      testDb.db.command((tx) => tx.selectFrom('payouts').select(['id']).executeTakeFirst()),
    );
    await until('MoMo to take the transfer', () =>
      fake.creditsByExternalId(payout.id) === 1 ? true : undefined,
    );
    // The intent of the call is on file before the answer, which never comes.
    const intent = await until('the recorded intent', () =>
      testDb.db.command((tx) =>
        tx
          .selectFrom('operator_exchanges')
          .selectAll()
          .where('subject_id', '=', payout.id)
          .where('action', '=', 'credit')
          .executeTakeFirst(),
      ),
    );
    expect(intent.phase).toBe('intent');
    await first.kill();

    const sentBefore = fake.requests.length;
    const second = await start(env, port);
    // After the lease, the restarted gateway asks first: GET status, then (pending) a re-send under
    // the same X-Reference-Id, which MoMo refuses with 409: still one transfer.
    await until('a re-send after the status query', () =>
      fake.requests.slice(sentBefore).some((r) => r.method === 'POST' && r.path.endsWith('/transfer'))
        ? true
        : undefined,
    );
    const after = fake.requests
      .slice(sentBefore)
      .filter((r) => r.path.includes('/disbursement/v1_0/transfer'));
    expect(after[0]?.method).toBe('GET');
    expect(after[0]?.path).toBe(`/disbursement/v1_0/transfer/${momoReferenceId(payout.id)}`);
    expect(fake.creditsByExternalId(payout.id)).toBe(1);
    expect(fake.creditsByReferenceId(momoReferenceId(payout.id))).toBe(1);

    // MoMo completes it and calls back once (unsigned): the gateway verifies by a status query.
    await fake.settle(payout.id, { status: 'SUCCESSFUL' });
    const confirmed = await until('the payout to complete', async () => {
      const answer = (await (
        await fetch(`${second.url}/pay/v01/straight/payout/confirm/?payoutToken=${created.token}`, {
          headers,
        })
      ).json()) as { status?: string };
      return answer.status === 'completed' ? answer : undefined;
    });
    expect(confirmed.status).toBe('completed');
    expect(fake.creditsByExternalId(payout.id)).toBe(1);
    const exchanges = await testDb.db.command((tx) =>
      tx
        .selectFrom('operator_exchanges')
        .select(['action', 'phase'])
        .where('subject_id', '=', payout.id)
        .orderBy('started_at_ms')
        .execute(),
    );
    // The cut call stays as an intent; every later call has its outcome.
    expect(exchanges[0]).toEqual({ action: 'credit', phase: 'intent' });
    expect(exchanges.slice(1).every((x) => x.phase === 'outcome')).toBe(true);
    expect(exchanges.map((x) => x.action)).toEqual(
      expect.arrayContaining(['status', 'credit', 'notification']),
    );
    await second.stop();
  }, 60_000);

  it('starts with one line on stderr when the connectors file is wrong, and names no secret', async () => {
    const { env } = await setup();
    const missingSecret = await failedStart({ ...env, MOMO_DISBURSEMENT_KEY: '' });
    expect(missingSecret.code).toBe(1);
    expect(missingSecret.stderr.trim().split('\n')).toHaveLength(1);
    expect(missingSecret.stderr).toMatch(
      /^cauri: CAURI_CONNECTORS_FILE .*disbursementApiKey: environment variable MOMO_DISBURSEMENT_KEY is not set/,
    );
    expect(missingSecret.stderr).not.toContain(FAKE_COLLECTION.apiKey);
    const badScheme = await failedStart({ ...env, DATABASE_URL: 'postgress://u:pw@127.0.0.1/x' });
    expect(badScheme.stderr).toBe(
      'cauri: DATABASE_URL must be a postgres:// or postgresql:// URL, not postgress: (unset it and set CAURI_DATA_DIR for SQLite)\n',
    );
    const unreachable = await failedStart({
      ...env,
      DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/x',
      CAURI_DB_CONNECT_TIMEOUT_SECONDS: '1',
    });
    const lines = unreachable.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^cauri: cannot connect to PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/x: connect ECONNREFUSED/,
    );
    expect(lines.slice(0, -1).every((line) => line.startsWith('cauri: database not reachable yet'))).toBe(
      true,
    );
    expect(unreachable.stderr).not.toContain('pw@');
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
