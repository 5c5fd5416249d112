import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestResend } from '../src/commands/callback-admin.js';
import { claimDueEvents } from '../src/commands/callback-claims.js';
import { recordDeliveries } from '../src/commands/callback-deliveries.js';
import type { Gateway } from '../src/commands/context.js';
import { createProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount, fundWallet } from '../src/commands/wallets.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { CALLBACK_LEASE_MS } from '../src/core/callbacks.js';
import type { Xof } from '../src/core/money.js';
import type { Running } from '../src/gateway.js';
import { openDatabase } from '../src/store/database.js';
import { postCallback } from '../src/workers/callback-sender.js';
import { Receiver, until } from './callback-receiver.js';
import { ORANGE_PHONE, TIMEOUT_MS, errors, events, handWorker } from './callback-fixtures.js';
import { BACKENDS, ManualClock, type TestDatabase, openTestDatabase } from './harness.js';
import { SharedGateways, acceptedPayouts } from './shared-gateways.js';

/**
 * Callback concurrency per receiver and short, renewed leases (ADR 0017): the limit holds across
 * two gateways on one database, a slow receiver leaves room to the others, a dead instance's
 * events are delivered again once its lease runs out (seconds), and a live slow delivery is never
 * taken over while its holder keeps renewing.
 */
describe.each(BACKENDS)('callback receivers on %s', (backend) => {
  let storage: TestDatabase;
  let slow: Receiver;
  let fast: Receiver;
  const clock = new ManualClock();
  const config = { ...loadConfig({ CAURI_MODE: 'sandbox' }), callbackTimeoutMs: TIMEOUT_MS };
  let gateways: SharedGateways;
  let headers: Record<string, string>;
  const instance = () => gateways.start();
  const kill = (running: Running) => gateways.kill(running);
  const payouts = (running: Running, url: string, count: number, tag: string) =>
    acceptedPayouts(running, headers, { phone: ORANGE_PHONE, count, callbackUrl: url, tag });

  const byStatus = async (gw: Gateway) => {
    const counts: Record<string, number> = {};
    for (const event of await events(gw)) counts[event.status] = (counts[event.status] ?? 0) + 1;
    return counts;
  };

  beforeEach(async () => {
    storage = await openTestDatabase(backend);
    const { env } = storage;
    gateways = new SharedGateways(
      () =>
        env.DATABASE_URL !== undefined
          ? openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: ':memory:', poolSize: 5 })
          : openDatabase({ dataDir: env.CAURI_DATA_DIR ?? '' }),
      config,
      clock,
    );
    slow = await Receiver.start();
    fast = await Receiver.start();
    slow.answer = () => 'hang';
    errors.length = 0;
    const { db } = storage;
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
    headers = {
      apikey: project.project.apikey,
      authorization: `Bearer ${project.apiToken}`,
      'content-type': 'application/json',
    };
  });

  afterEach(async () => {
    slow.release();
    await gateways.closeAll();
    await slow.close();
    await fast.close();
    await storage.destroy();
  });

  it('holds the per-receiver limit across two instances, and the other receiver still gets its callbacks', async () => {
    const a = await instance();
    const b = await instance();
    await payouts(a, slow.url(), 10, 'SLOW');
    await payouts(a, fast.url(), 3, 'FAST');
    const workerA = handWorker(a.gw, { receiverConcurrencyMax: 3, timeoutMs: 10_000 });
    const workerB = handWorker(b.gw, { receiverConcurrencyMax: 3, timeoutMs: 10_000 });
    const runA = workerA.runOnce();
    await until(async () => slow.hanging === 3 && (await byStatus(a.gw)).delivered === 3);
    // The other instance finds the slow receiver full: it claims nothing of it.
    expect(await workerB.runOnce()).toBe(0);
    expect(slow.hanging).toBe(3);
    expect(await byStatus(a.gw)).toEqual({ delivered: 3, delivering: 3, pending: 7 });
    // Two instances claiming together never exceed the limit either.
    slow.answer = () => ({ status: 200 });
    slow.release();
    await runA;
    const counts: number[] = [];
    slow.answer = async () => {
      const busy = await a.gw.db.command((tx) =>
        tx.selectFrom('outbox').select('id').where('status', '=', 'delivering').execute(),
      );
      counts.push(busy.length);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { status: 200 };
    };
    const drain = async (worker: typeof workerA) => {
      for (let n = await worker.runOnce(), i = 0; n > 0 && i < 20; n = await worker.runOnce(), i++);
    };
    await Promise.all([drain(workerA), drain(workerB)]);
    expect(await byStatus(a.gw)).toEqual({ delivered: 13 });
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    expect(errors).toEqual([]);
  });

  it('lets a fast receiver through when a slow one has a backlog larger than a claim scans', async () => {
    const a = await instance();
    await payouts(a, slow.url(), 40, 'SLOW');
    await payouts(a, fast.url(), 3, 'FAST');
    const worker = handWorker(a.gw, { receiverConcurrencyMax: 2, inflightMax: 4, timeoutMs: 10_000 });
    worker.start();
    try {
      // The 40 older events of the slow receiver are ahead in the queue; the fast ones still go.
      await until(async () => slow.hanging === 2 && (await byStatus(a.gw)).delivered === 3);
      expect(slow.hanging).toBe(2);
      expect(await byStatus(a.gw)).toEqual({ delivered: 3, delivering: 2, pending: 38 });
      // The scans learned every slow event's receiver, so later ones skip them in the database.
      const receivers = new Set((await events(a.gw)).map((e) => e.receiver));
      expect(receivers).toEqual(new Set([`http://127.0.0.1:${slow.port}`, `http://127.0.0.1:${fast.port}`]));
    } finally {
      const stopping = worker.stop();
      slow.answer = () => ({ status: 500 });
      slow.release(500);
      await stopping;
    }
    expect(errors).toEqual([]);
  });

  it("delivers a dead instance's events once its lease runs out, within seconds", async () => {
    const a = await instance();
    await payouts(a, slow.url(), 3, 'DEAD');
    const workerA = handWorker(a.gw, { timeoutMs: 10_000 });
    const runA = workerA.runOnce();
    await until(() => slow.hanging === 3);
    await kill(a);
    slow.answer = () => 'destroy';
    slow.dropHung();
    await runA;
    expect(errors).toHaveLength(3); // the dead instance could not record its deliveries
    errors.length = 0;
    slow.answer = () => ({ status: 200 });

    const b = await instance();
    const workerB = handWorker(b.gw);
    clock.advance(CALLBACK_LEASE_MS - 1);
    expect(await workerB.runOnce()).toBe(0);
    clock.advance(1);
    expect(await workerB.runOnce()).toBe(3);
    expect(await byStatus(b.gw)).toEqual({ delivered: 3 });
    expect(CALLBACK_LEASE_MS).toBeLessThanOrEqual(10_000);
    expect(errors).toEqual([]);
  });

  it('never lets another instance take a live slow delivery while its holder renews the lease', async () => {
    const a = await instance();
    const b = await instance();
    await payouts(a, slow.url(), 2, 'LIVE');
    const workerA = handWorker(a.gw, { timeoutMs: 10_000, leaseRenewMs: 20 });
    const workerB = handWorker(b.gw);
    const runA = workerA.runOnce();
    await until(() => slow.hanging === 2);
    const leaseEnd = async () => Math.min(...(await events(a.gw)).map((e) => Number(e.next_attempt_at_ms)));
    for (let round = 0; round < 3; round++) {
      // Most of a lease passes; the holder's timer renews it from the (manual) clock's now.
      clock.advance(Math.floor(CALLBACK_LEASE_MS * 0.8));
      const now = clock.nowMs();
      await until(async () => (await leaseEnd()) >= now + CALLBACK_LEASE_MS);
      expect(await workerB.runOnce()).toBe(0);
    }
    // 2.4 leases later the delivery is still the holder's, and it alone records it.
    slow.answer = () => ({ status: 200 });
    slow.release();
    expect(await runA).toBe(2);
    expect(await byStatus(a.gw)).toEqual({ delivered: 2 });
    expect(slow.received).toHaveLength(4);
    expect(errors).toEqual([]);
  });

  it('records several finished deliveries in one transaction, each under its own lease', async () => {
    const a = await instance();
    await payouts(a, fast.url(), 4, 'BATCH');
    const { gw } = a;
    const claimed = await gw.db.command((tx) =>
      claimDueEvents(tx, gw.db.dialect, clock.nowMs(), {
        capacity: 2,
        receiverConcurrencyMax: 10,
        leaseMs: CALLBACK_LEASE_MS,
        tokenSecret: gw.tokenSecret,
      }),
    );
    const more = await gw.db.command((tx) =>
      claimDueEvents(tx, gw.db.dialect, clock.nowMs(), {
        capacity: 10,
        receiverConcurrencyMax: 10,
        leaseMs: CALLBACK_LEASE_MS,
        tokenSecret: gw.tokenSecret,
      }),
    );
    const all = [...claimed.events, ...more.events];
    expect(all).toHaveLength(4);
    expect(new Set(all.map((e) => e.leaseId)).size).toBe(2);
    const [first, second, third, fourth] = all;
    if (!first || !second || !third || !fourth) throw new Error('claims');
    // A resend overtakes the second delivery: its outcome is recorded but changes nothing.
    await gw.db.command((tx) => requestResend(tx, second.eventId, undefined, clock.nowMs()));
    const attempt = {
      encoding: 'json' as const,
      url: fast.url(),
      startedAtMs: clock.nowMs(),
      latencyMs: 5,
      httpStatus: 200,
      error: null,
      responseExcerpt: 'OK',
    };
    const states = await gw.db.command((tx) =>
      recordDeliveries(
        tx,
        [
          { event: first, attempts: [attempt], verdict: 'delivered' },
          { event: second, attempts: [attempt], verdict: 'delivered' },
          { event: third, attempts: [{ ...attempt, httpStatus: 500 }], verdict: 'retry' },
          {
            event: fourth,
            attempts: [{ ...attempt, httpStatus: null, error: 'refused' }],
            verdict: 'give_up',
          },
        ],
        clock.nowMs(),
        () => 0.5,
      ),
    );
    expect(states).toEqual(['delivered', 'lease_lost', 'pending', 'failed']);
    const byId = new Map((await events(gw)).map((e) => [e.id, e]));
    expect(byId.get(first.eventId)).toMatchObject({ status: 'delivered', lease_id: null });
    expect(Number(byId.get(first.eventId)?.delivered_at_ms)).toBe(clock.nowMs());
    expect(byId.get(second.eventId)).toMatchObject({ status: 'pending', delivered_at_ms: null });
    expect(byId.get(third.eventId)).toMatchObject({ status: 'pending', delivered_at_ms: null });
    expect(Number(byId.get(third.eventId)?.next_attempt_at_ms)).toBe(clock.nowMs() + 30_000);
    expect(byId.get(fourth.eventId)).toMatchObject({ status: 'failed' });
  });
});

describe('callback concurrency settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ CAURI_MODE: 'sandbox', ...env });

  it('defaults to 256 per receiver and 512 per process', () => {
    expect(load({})).toMatchObject({ callbackReceiverConcurrencyMax: 256, callbackInflightMax: 512 });
  });

  it('reads CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER from 1 to 1000', () => {
    expect(load({ CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER: '1' }).callbackReceiverConcurrencyMax).toBe(1);
    expect(load({ CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER: '1000' }).callbackReceiverConcurrencyMax).toBe(
      1000,
    );
    for (const bad of ['0', '1001', '-1', '2.5', 'many']) {
      expect(() => load({ CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER: bad })).toThrow(ConfigError);
    }
  });

  it('takes the deprecated CAURI_CALLBACK_CONCURRENCY_PER_PROJECT as the per-receiver limit, unless the new name is set', () => {
    expect(load({ CAURI_CALLBACK_CONCURRENCY_PER_PROJECT: '7' }).callbackReceiverConcurrencyMax).toBe(7);
    expect(
      load({ CAURI_CALLBACK_CONCURRENCY_PER_PROJECT: '7', CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER: '9' })
        .callbackReceiverConcurrencyMax,
    ).toBe(9);
    expect(() => load({ CAURI_CALLBACK_CONCURRENCY_PER_PROJECT: '1001' })).toThrow(
      /CAURI_CALLBACK_CONCURRENCY_PER_PROJECT must be an integer from 1 to 1000/,
    );
  });

  it('reads CAURI_CALLBACK_INFLIGHT_MAX from 1 to 10000', () => {
    expect(load({ CAURI_CALLBACK_INFLIGHT_MAX: '1' }).callbackInflightMax).toBe(1);
    expect(load({ CAURI_CALLBACK_INFLIGHT_MAX: '10000' }).callbackInflightMax).toBe(10_000);
    for (const bad of ['0', '10001', 'x'])
      expect(() => load({ CAURI_CALLBACK_INFLIGHT_MAX: bad })).toThrow(ConfigError);
  });
});

describe('callback connections', () => {
  it('sends a POST again on a new connection when the receiver had closed the reused one', async () => {
    // Answers the first request of each connection and keeps it open; cuts a connection at its
    // second request without answering, as a server whose keep-alive ran out at that moment.
    const connections: number[] = [];
    const server = net.createServer((socket) => {
      const index = connections.push(0) - 1;
      socket.on('data', (chunk) => {
        if (!chunk.toString('latin1').includes('\r\n\r\n')) return;
        connections[index] = (connections[index] ?? 0) + 1;
        if (connections[index] === 1)
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nOK');
        else socket.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const post = {
      url: `http://127.0.0.1:${port}/cb`,
      body: '{}',
      headers: { 'content-type': 'application/json' },
      timeoutMs: 2_000,
      allowPrivate: true,
    };
    try {
      expect(await postCallback(post)).toMatchObject({ kind: 'answered', httpStatus: 200 });
      expect(await postCallback(post)).toMatchObject({ kind: 'answered', httpStatus: 200 });
      // The second POST went out on the first connection, was cut, and went again on a second one.
      expect(connections).toEqual([2, 1]);
    } finally {
      server.close();
    }
  });
});
