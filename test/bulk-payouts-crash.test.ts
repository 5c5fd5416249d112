import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount } from '../src/commands/wallets.js';
import type { Xof } from '../src/core/money.js';
import { BACKENDS, openTestDatabase } from './harness.js';
import { ensureBuilt, freePort, startGatewayProcess } from './gateway-process.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';

/**
 * A bulk payout whose gateway dies mid-batch (ADR 0025): the gateway runs as its own process
 * (`node dist/src/main.js`), the test kills it with SIGKILL while the batch's items are being
 * committed, starts it again on the same database and sends the same request with the same
 * Idempotency-Key. The retry completes the batch; no item has two payouts, and the ledger holds.
 */
const WALLET = '22670111111';
const ITEMS = 1000;

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(BACKENDS)('a bulk payout killed mid-batch (%s)', (backend) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('is completed by the retry with the same key, and no item is paid twice', async () => {
    const testDb = await openTestDatabase(backend);
    cleanups.push(() => testDb.destroy());
    const nowMs = Date.now();
    const created = await testDb.db.command((tx) =>
      createProject(
        tx,
        { name: 'Bulk shop', payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
        nowMs,
      ),
    );
    if (!created.ok) throw new Error('project');
    const { project, apiToken } = created.value;
    await testDb.db.command(async (tx) => {
      if (!(await createWallet(tx, WALLET, null, nowMs)).ok) throw new Error('wallet');
      if (!(await fundSubaccount(tx, testDb.db.dialect, project.id, '11', 1_000_000 as Xof, nowMs)).ok)
        throw new Error('funding');
    });
    const port = await freePort();
    const env = { ...testDb.env, CAURI_MODE: 'sandbox', CAURI_PUBLIC_URL: `http://127.0.0.1:${port}` };
    const headers = {
      apikey: project.apikey,
      authorization: `Bearer ${apiToken}`,
      'content-type': 'application/json',
      'idempotency-key': 'crash-batch',
    };
    const body = JSON.stringify({
      items: Array.from({ length: ITEMS }, (_, i) => ({
        kind: 'customer',
        amount: 100 + i,
        customer: WALLET,
        description: 'Refund',
        top_up_wallet: 1,
        custom_data: { transaction_id: `K-${i}` },
      })),
    });
    // On SQLite the count is read on a read-only connection of its own: a command would take the
    // write lock (BEGIN IMMEDIATE) and hold the gateway's writer back while the test looks.
    const dataDir = testDb.env.CAURI_DATA_DIR;
    const reader =
      dataDir !== undefined
        ? new SqliteDatabase(path.join(dataDir, 'cauri.sqlite'), { readonly: true })
        : undefined;
    cleanups.push(() => {
      reader?.close();
    });
    const count = async (): Promise<number> => {
      if (reader !== undefined)
        return Number(
          (reader.prepare('select count(*) as n from payout_batch_items').get() as { n: number }).n,
        );
      return testDb.db.command(async (tx) =>
        Number(
          (
            await tx
              .selectFrom('payout_batch_items')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirst()
          )?.n ?? 0,
        ),
      );
    };

    const first = await startGatewayProcess(env, port);
    cleanups.push(() => first.kill());
    const cut = fetch(`${first.url}/cauri/v1/payouts/bulk`, { method: 'POST', headers, body }).then(
      () => 'answered',
      () => 'cut',
    );
    // Killed once some items have committed, while the rest are still to come.
    await until('the first items', async () => ((await count()) >= 20 ? true : undefined));
    await first.kill();
    expect(await cut).toBe('cut');
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(20);
    expect(before).toBeLessThan(ITEMS);
    const payoutsBefore = await testDb.db.command((tx) => tx.selectFrom('payouts').select('id').execute());
    // Each committed item has its payout and each payout its item: they committed together.
    expect(payoutsBefore).toHaveLength(before);

    const second = await startGatewayProcess(env, port);
    cleanups.push(() => second.kill());
    const retried = (await (
      await fetch(`${second.url}/cauri/v1/payouts/bulk`, { method: 'POST', headers, body })
    ).json()) as Record<string, unknown>;
    expect(retried).toMatchObject({
      response_code: '00',
      batch_status: 'processed',
      item_count: ITEMS,
      accepted_count: ITEMS,
      refused_count: 0,
    });
    const rows = await testDb.db.command((tx) =>
      tx.selectFrom('payouts').select(['id', 'merchant_transaction_id']).execute(),
    );
    expect(rows).toHaveLength(ITEMS);
    expect(new Set(rows.map((r) => r.merchant_transaction_id)).size).toBe(ITEMS);
    expect(await count()).toBe(ITEMS);
    expectLedgerSound(await readLedger(testDb.db), 'after the crash and the retry');
  }, 120_000);
});
