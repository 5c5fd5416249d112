import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDatabaseMode } from '../src/commands/database-mode.js';
import { createProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount, fundWallet } from '../src/commands/wallets.js';
import type { Xof } from '../src/core/money.js';
import { Receiver } from './callback-receiver.js';
import { type GatewayProcess, ensureBuilt, freePort, startGatewayProcess } from './gateway-process.js';
import {
  type TestDatabase,
  openTestDatabase,
  payoutBody,
  postgresUnavailable,
  walletPayinBody,
} from './harness.js';
import { ledgerProblems, readLedger } from './ledger-checks.js';
import { RoundRobinProxy } from './round-robin-proxy.js';

/**
 * Issue 11, several instances (ADR 0018): three gateway processes on one PostgreSQL schema behind a
 * round-robin proxy take mixed load (customer payouts with top_up_wallet 1 and 0, merchant payouts,
 * wallet payins with OTP), with callbacks to a receiver that fails a third of the events' first
 * delivery. One process is killed with SIGKILL mid-load. Every operator call of the simulator takes
 * longer than the dispatch lease, so a payout is only kept by its live holder because the holder
 * renews the lease (the heartbeat); the dead holder's payouts are taken over within seconds.
 */
const pgReason = await postgresUnavailable();
if (pgReason !== undefined) console.warn(`[cauri tests] skipping test/multi-instance.test.ts: ${pgReason}`);

const LEASE_SECONDS = 3;
/** Longer than the lease: without renewals, other instances would claim payouts whose call is in flight. */
const OPERATOR_DELAY_MS = 4_000;
const WORKERS = 12;
const OPERATIONS = 240;
const KILL_AFTER = 90;
/**
 * An event refused once is retried 30 s later (±20 %, ADR 0006), after a takeover of up to a lease;
 * on a loaded machine the first deliveries themselves queue behind the load (a helper's run once
 * needed more than 90 s). The wait ends as soon as everything is settled, so a long bound costs
 * nothing when the test passes.
 */
const SETTLE_TIMEOUT_MS = 150_000;
const PAYER_XOF = 200_000;

type Kind = 'topup1' | 'topup0' | 'merchant' | 'payin';
interface Acked {
  kind: Kind;
  token: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Orange Burkina numbers; suffix 0002 is the simulator's "declined" (README, magic numbers). */
const payee = (i: number) => `22670${String(110_100 + (i % 40)).padStart(6, '0')}`;
const DECLINED = '22670110002';
const payer = (worker: number) => `22670${String(120_100 + worker).padStart(6, '0')}`;

describe.skipIf(pgReason !== undefined)('three instances on one PostgreSQL, one killed mid-load', () => {
  let testDb: TestDatabase;
  let receiver: Receiver;
  let proxy: RoundRobinProxy;
  const gateways: GatewayProcess[] = [];
  let headers: Record<string, string>;
  /** Events answered 2xx at least once; events whose first delivery the receiver refused. */
  const delivered = new Set<string>();
  const refused = new Map<string, number>();

  beforeAll(async () => {
    await ensureBuilt();
    testDb = await openTestDatabase('postgres');
    await checkDatabaseMode(testDb.db, 'sandbox');
    const { db } = testDb;
    const project = await db.command(async (tx) => {
      const created = await createProject(
        tx,
        { name: 'Multi shop', payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
        Date.now(),
      );
      if (!created.ok) throw new Error('project');
      for (const operator of ['0', '11']) {
        const funded = await fundSubaccount(
          tx,
          db.dialect,
          created.value.project.id,
          operator,
          5_000_000 as Xof,
          Date.now(),
        );
        if (!funded.ok) throw new Error(`funding ${operator}`);
      }
      const phones = [...new Set([...Array.from({ length: 40 }, (_, i) => payee(i)), DECLINED])];
      for (const phone of phones) await createWallet(tx, phone, null, Date.now());
      for (let w = 0; w < WORKERS; w++) {
        await createWallet(tx, payer(w), null, Date.now());
        await fundWallet(tx, db.dialect, payer(w), PAYER_XOF as Xof, Date.now());
      }
      return created.value;
    });
    headers = {
      apikey: project.project.apikey,
      authorization: `Bearer ${project.apiToken}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };

    receiver = await Receiver.start();
    // A third of the events get HTTP 500 on both encodings of their first delivery; the retry succeeds.
    let seen = 0;
    receiver.answer = (request) => {
      const refusals = refused.get(request.id);
      if (refusals === undefined && !delivered.has(request.id) && seen++ % 3 === 0)
        refused.set(request.id, 1);
      else if (refusals !== undefined && refusals < 2) refused.set(request.id, refusals + 1);
      else {
        delivered.add(request.id);
        return { status: 200, body: 'OK' };
      }
      return { status: 500, body: 'try later' };
    };

    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    proxy = await RoundRobinProxy.start(ports.map((port) => `http://127.0.0.1:${port}`));
    const started = await Promise.all(
      ports.map((port, i) =>
        startGatewayProcess(
          {
            ...testDb.env,
            CAURI_MODE: 'sandbox',
            CAURI_PUBLIC_URL: proxy.url,
            CAURI_INSTANCE_ID: `gw-${i}`,
            CAURI_DISPATCH_LEASE_SECONDS: String(LEASE_SECONDS),
            CAURI_DISPATCH_INTERVAL_MS: '100',
            CAURI_SIMULATOR_DELAY_MS: String(OPERATOR_DELAY_MS),
            CAURI_CALLBACK_INTERVAL_MS: '100',
            CAURI_CALLBACK_TIMEOUT_MS: '2000',
            CAURI_OTP_PER_HOUR_MAX: '1000',
          },
          port,
        ),
      ),
    );
    gateways.push(...started);
  }, 180_000);

  afterAll(async () => {
    for (const gateway of gateways) await gateway.kill();
    await proxy?.close();
    await receiver?.close();
    await testDb?.destroy();
  });

  async function call(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const response = await fetch(`${proxy.url}${url}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 200) return undefined;
      return (await response.json()) as Record<string, unknown>;
    } catch {
      return undefined; // the proxy cut, a timeout: not acknowledged
    }
  }

  async function operation(n: number, worker: number): Promise<Acked | undefined> {
    const kind: Kind = (['topup1', 'topup0', 'merchant', 'payin'] as const)[n % 4] ?? 'payin';
    const amount = 100 + (n % 17);
    const cb = receiver.url(`/cb/${n}`);
    const id = `MI-${n}`;
    const phone = n % 23 === 0 ? DECLINED : payee(n);
    let answer: Record<string, unknown> | undefined;
    if (kind === 'topup1' || kind === 'topup0') {
      answer = await call(
        'POST',
        '/pay/v01/withdrawal/create',
        payoutBody(phone, amount, {
          callback_url: cb,
          custom_data: { transaction_id: id },
          top_up_wallet: kind === 'topup1' ? 1 : 0,
        }),
      );
    } else if (kind === 'merchant') {
      answer = await call('POST', '/pay/v01/straight/payout', {
        commande: {
          amount,
          description: 'Supplier',
          customer: phone,
          callback_url: cb,
          custom_data: { transaction_id: id },
        },
      });
    } else {
      const otp = await call('GET', `/pay/v02/debitotp/${payer(worker)}/${amount}`);
      if (otp?.error !== false) return undefined;
      const inbox = await call('GET', `/sandbox/sms?phone=${payer(worker)}&limit=1`);
      const code = /(\d{6})/.exec((inbox?.messages as { body: string }[] | undefined)?.[0]?.body ?? '')?.[1];
      if (code === undefined) return undefined;
      const body = walletPayinBody(payer(worker), amount, code, { transaction_id: id });
      body.commande.actions.callback_url = cb;
      answer = await call('POST', '/pay/v02/debitwallet/withotp', body);
    }
    return answer?.response_code === '00' && typeof answer.token === 'string'
      ? { kind, token: answer.token }
      : undefined;
  }

  it('finishes every acknowledged transaction, balances, pays each payout once and delivers every callback', async () => {
    const acked: Acked[] = [];
    let issued = 0;
    let killedAtMs = 0;
    let heldByDead: string[] = [];
    const victim = gateways[1];
    if (victim === undefined) throw new Error('no gateway');
    const kill = async () => {
      await victim.kill();
      killedAtMs = Date.now();
      const rows = await testDb.db.command((tx) =>
        tx
          .selectFrom('payouts')
          .select('id')
          .where('dispatch_owner', '=', 'gw-1')
          .where('status', '=', 'pending')
          .execute(),
      );
      heldByDead = rows.map((r) => r.id);
    };
    const startedMs = Date.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        for (let n = issued++; n < OPERATIONS; n = issued++) {
          if (n === KILL_AFTER) await kill();
          const done = await operation(n, worker);
          if (done) acked.push(done);
        }
      }),
    );
    const loadMs = Date.now() - startedMs;

    // The dead instance's leases are taken over within a lease and a dispatch pass or two.
    let takeoverMs = -1;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(50)) {
      const still =
        heldByDead.length === 0
          ? []
          : await testDb.db.command((tx) =>
              tx
                .selectFrom('payouts')
                .select('id')
                .where('id', 'in', heldByDead)
                .where('dispatch_owner', '=', 'gw-1')
                .execute(),
            );
      if (still.length === 0) {
        takeoverMs = Date.now() - killedAtMs;
        break;
      }
    }

    // Every acknowledged token reaches a final status, and every callback is answered 2xx once.
    const tokens = acked.map((a) => a.token);
    const finalOf = async () => {
      const [payouts, payins] = await testDb.db.command(async (tx) => [
        await tx.selectFrom('payouts').select(['token', 'status']).where('token', 'in', tokens).execute(),
        await tx.selectFrom('payins').select(['token', 'status']).where('token', 'in', tokens).execute(),
      ]);
      return new Map([...payouts, ...payins].map((r) => [r.token, r.status]));
    };
    const undelivered = async () =>
      (await testDb.db.command((tx) => tx.selectFrom('outbox').select('id').execute()))
        .filter((e) => !delivered.has(e.id))
        .map((e) => e.id);
    let statuses = await finalOf();
    let missing = await undelivered();
    const settleStartMs = Date.now();
    while (Date.now() - settleStartMs < SETTLE_TIMEOUT_MS) {
      statuses = await finalOf();
      missing = await undelivered();
      if (
        tokens.every((t) => statuses.get(t) === 'completed' || statuses.get(t) === 'notcompleted') &&
        missing.length === 0
      )
        break;
      await sleep(250);
    }
    const settledMs = Date.now() - settleStartMs;
    if (missing.length > 0) {
      // What happened to the events that never reached the receiver, for whoever reads a failure.
      const story = await testDb.db.command(async (tx) => ({
        events: await tx.selectFrom('outbox').selectAll().where('id', 'in', missing).execute(),
        attempts: await tx
          .selectFrom('callback_attempts')
          .selectAll()
          .where('event_id', 'in', missing)
          .execute(),
      }));
      console.log(`[multi-instance] undelivered: ${JSON.stringify(story)}`);
    }
    const notFinal = tokens.filter(
      (t) => statuses.get(t) !== 'completed' && statuses.get(t) !== 'notcompleted',
    );

    // The confirm endpoints, through the proxy, agree.
    const confirmPath: Record<Kind, string> = {
      topup1: '/pay/v01/withdrawal/confirm/?withdrawalToken=',
      topup0: '/pay/v01/withdrawal/confirm/?withdrawalToken=',
      merchant: '/pay/v01/straight/payout/confirm/?payoutToken=',
      payin: '/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=',
    };
    const confirmed = await Promise.all(
      acked.map(async (a) => (await call('GET', `${confirmPath[a.kind]}${a.token}`))?.status),
    );

    // Each payout's credit went to the operator once; a credit cut by the kill is re-sent only after a status query.
    const exchanges = await testDb.db.command((tx) =>
      tx
        .selectFrom('operator_exchanges')
        .select(['subject_id', 'action', 'phase', 'started_at_ms'])
        .where('action', 'in', ['credit', 'status'])
        .orderBy('started_at_ms')
        .execute(),
    );
    const bySubject = new Map<string, typeof exchanges>();
    for (const x of exchanges)
      if (x.subject_id !== null) bySubject.set(x.subject_id, [...(bySubject.get(x.subject_id) ?? []), x]);
    const twice: string[] = [];
    const cutAndResent: string[] = [];
    for (const [subject, list] of bySubject) {
      const credits = list.filter((x) => x.action === 'credit');
      if (credits.length <= 1) continue;
      const cut = credits[0]?.phase === 'intent' && heldByDead.includes(subject);
      const resent = credits[1] === undefined ? -1 : list.indexOf(credits[1]);
      const askedFirst = list.some((x, i) => x.action === 'status' && i < resent);
      if (cut && askedFirst && credits.length === 2) cutAndResent.push(subject);
      else
        twice.push(
          `${subject}: ${list.map((x) => `${x.action}/${x.phase}@${Number(x.started_at_ms) - killedAtMs}`).join(' ')}`,
        );
    }
    const ledger = await readLedger(testDb.db);
    const payoutsToOperator = ledger.payouts.filter((p) => p.top_up_wallet === 0).length;
    const figures = {
      operations: OPERATIONS,
      acknowledged: acked.length,
      proxyErrors: proxy.failed,
      loadMs,
      heldByDeadAtKill: heldByDead.length,
      takeoverMs,
      settledMs,
      payoutsToOperator,
      creditsCutByKillAndResentAfterStatus: cutAndResent.length,
      events: (await testDb.db.command((tx) => tx.selectFrom('outbox').select('id').execute())).length,
      eventsRefusedFirst: refused.size,
    };
    console.log(`[multi-instance] ${JSON.stringify(figures)}`);

    expect(acked.length).toBeGreaterThan(OPERATIONS / 2);
    expect(notFinal).toEqual([]);
    expect(confirmed.filter((s) => s !== 'completed' && s !== 'notcompleted')).toEqual([]);
    expect(ledgerProblems(ledger)).toEqual([]);
    expect(twice).toEqual([]);
    expect(missing).toEqual([]);
    expect(refused.size).toBeGreaterThan(0);
    expect(takeoverMs).toBeGreaterThanOrEqual(0);
    expect(takeoverMs).toBeLessThan(LEASE_SECONDS * 1000 + 3_000);
  }, 240_000);
});
