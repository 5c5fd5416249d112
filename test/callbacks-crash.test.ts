import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount, fundWallet } from '../src/commands/wallets.js';
import { loadConfig } from '../src/config.js';
import { CALLBACK_LEASE_MS } from '../src/core/callbacks.js';
import type { Xof } from '../src/core/money.js';
import type { Running } from '../src/gateway.js';
import { type Database, openDatabase } from '../src/store/database.js';
import { Receiver, until } from './callback-receiver.js';
import { ORANGE_PHONE, TIMEOUT_MS, attemptsOf, errors, events, handWorker } from './callback-fixtures.js';
import { BACKENDS, type Backend, ManualClock, PG_URL } from './harness.js';
import { SharedGateways, acceptedPayouts } from './shared-gateways.js';

/**
 * At-least-once delivery across processes (ADR 0006): two gateways on one database deliver each
 * attempt once, and a gateway that dies in the middle of deliveries loses nothing: another one
 * (or the same after a restart) delivers the rest once the leases run out, and what was delivered
 * and recorded is not sent again.
 */

/** One database that several gateways open, as several processes would. */
interface SharedStorage {
  open(): Promise<Database>;
  destroy(): Promise<void>;
}

async function sharedStorage(backend: Backend): Promise<SharedStorage> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'cauri-cb-'));
    return {
      open: () => openDatabase({ dataDir: dir }),
      destroy: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const schema = `cb_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    open: () => openDatabase({ databaseUrl: url, dataDir: ':memory:', poolSize: 10 }),
    async destroy() {
      const cleanup = new pg.Client({ connectionString: PG_URL });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

describe.each(BACKENDS)('callbacks across processes on %s', (backend) => {
  let storage: SharedStorage;
  let receiver: Receiver;
  const clock = new ManualClock();
  const config = { ...loadConfig({ CAURI_MODE: 'sandbox' }), callbackTimeoutMs: TIMEOUT_MS };
  let gateways: SharedGateways;
  let headers: Record<string, string>;
  const startProcess = () => gateways.start();
  const kill = (running: Running) => gateways.kill(running);
  const payouts = (running: Running, count: number) =>
    acceptedPayouts(running, headers, {
      phone: ORANGE_PHONE,
      count,
      callbackUrl: receiver.url(),
      tag: 'PO',
      amountXof: (i: number) => 100 + i,
    });

  beforeEach(async () => {
    storage = await sharedStorage(backend);
    gateways = new SharedGateways(() => storage.open(), config, clock);
    receiver = await Receiver.start();
    errors.length = 0;
    const db = await storage.open();
    const project = await db.command(async (tx) => {
      const created = await createProject(
        tx,
        { name: 'Shop', payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
        clock.nowMs(),
      );
      if (!created.ok) throw new Error('project');
      await createWallet(tx, ORANGE_PHONE, null, clock.nowMs());
      await fundWallet(tx, db.dialect, ORANGE_PHONE, 1000 as Xof, clock.nowMs());
      await fundSubaccount(tx, db.dialect, created.value.project.id, '11', 1_000_000 as Xof, clock.nowMs());
      return created.value;
    });
    await db.close();
    headers = {
      apikey: project.project.apikey,
      authorization: `Bearer ${project.apiToken}`,
      'content-type': 'application/json',
    };
  });

  afterEach(async () => {
    await gateways.closeAll();
    await receiver.close();
    await storage.destroy();
  });

  it('delivers each attempt once with two processes claiming at the same time', async () => {
    const a = await startProcess();
    const b = await startProcess();
    await payouts(a, 20);
    receiver.answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 200 };
    };
    const workers = [
      handWorker(a.gw, { inflightMax: 3, receiverConcurrencyMax: 50 }),
      handWorker(b.gw, { inflightMax: 3, receiverConcurrencyMax: 50 }),
    ];
    const drain = async (worker: (typeof workers)[number]) => {
      let total = 0;
      for (let n = await worker.runOnce(); n > 0; n = await worker.runOnce()) total += n;
      return total;
    };
    const [byA, byB] = await Promise.all(workers.map(drain));
    expect((byA ?? 0) + (byB ?? 0)).toBe(20);
    const all = await events(a.gw);
    expect(all.map((e) => e.status)).toEqual(new Array(20).fill('delivered'));
    for (const event of all)
      expect(receiver.of(event.id).map((r) => r.contentType)).toEqual([
        'application/json',
        'application/x-www-form-urlencoded',
      ]);
    expect(errors).toEqual([]);
  });

  it('delivers everything after a process dies in the middle of deliveries, and nothing delivered twice', async () => {
    const a = await startProcess();
    await payouts(a, 6);
    // Two events are answered at once; the other four hang while the process dies.
    const lucky = new Set<string>();
    let phase: 'first' | 'dead' | 'after' = 'first';
    receiver.answer = (request) => {
      if (phase === 'dead') return 'destroy';
      if (phase === 'after') return { status: 200 };
      if (lucky.has(request.id) || lucky.size < 2) {
        lucky.add(request.id);
        return { status: 200 };
      }
      return 'hang';
    };
    const workerA = handWorker(a.gw, { timeoutMs: 10_000, receiverConcurrencyMax: 10 });
    const runA = workerA.runOnce();
    await until(
      async () =>
        receiver.hanging === 4 && (await events(a.gw)).filter((e) => e.status === 'delivered').length === 2,
    );
    await kill(a);
    phase = 'dead';
    receiver.dropHung();
    await runA;
    // The dead process could not record the four deliveries it had started.
    expect(errors.length).toBe(4);
    phase = 'after';

    const b = await startProcess();
    const workerB = handWorker(b.gw);
    expect(await workerB.runOnce()).toBe(0); // still leased to the dead process
    clock.advance(CALLBACK_LEASE_MS);
    expect(await workerB.runOnce()).toBe(4);
    expect(await workerB.runOnce()).toBe(0);

    const all = await events(b.gw);
    expect(all.map((e) => e.status)).toEqual(new Array(6).fill('delivered'));
    for (const event of all) {
      const posts = receiver.of(event.id);
      const attempts = await attemptsOf(b.gw, event.id);
      if (lucky.has(event.id)) {
        // Delivered and recorded before the crash: never sent again.
        expect(posts).toHaveLength(2);
        expect(attempts.map((x) => [x.attempt, x.http_status])).toEqual([
          [1, 200],
          [1, 200],
        ]);
      } else {
        // The dead process's attempt 1 was lost with it; attempt 2 is the restart's.
        expect(attempts.map((x) => [x.attempt, x.encoding, x.http_status])).toEqual([
          [2, 'json', 200],
          [2, 'form', 200],
        ]);
        expect(posts.slice(-2).map((r) => r.contentType)).toEqual([
          'application/json',
          'application/x-www-form-urlencoded',
        ]);
      }
    }
  });
});
