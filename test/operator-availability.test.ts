import { afterEach, describe, expect, it } from 'vitest';
import { CauriClient } from '../client/src/index.js';
import { DOWN_CONSECUTIVE_FAILURES, PROBE_AFTER_MS } from '../src/core/operator-health.js';
import type { CreditRequest, OperatorConnector, OperatorOutcome } from '../src/operators/connector.js';
import { PayoutDispatcher } from '../src/workers/payout-dispatcher.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { E7 } from './payin-helpers.js';

/**
 * Issue 12, operator availability (ADR 0026): an operator whose calls fail is judged down from the
 * shared record of calls; payouts to it stay pending, deferred, with the reason recorded; a probe
 * goes once the pause is over, and on recovery every queued payout is sent exactly once. Several
 * dispatchers (instances) on one database agree, and only one of them sends the probe.
 */
const PHONE = '22670445566';
const OPERATOR = '11';

/** An operator that can be switched off: while down, every call throws (unreachable). */
class SwitchableOperator implements OperatorConnector {
  down = false;
  readonly credits = new Map<string, number>();
  readonly paid = new Set<string>();
  creditCalls = 0;
  statusCalls = 0;

  requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    this.creditCalls++;
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    this.credits.set(request.reference, (this.credits.get(request.reference) ?? 0) + 1);
    this.paid.add(request.reference);
    return Promise.resolve({ state: 'completed', operatorReference: `OP-${request.reference}` });
  }

  queryStatus(reference: string): Promise<OperatorOutcome> {
    this.statusCalls++;
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve(
      this.paid.has(reference)
        ? { state: 'completed', operatorReference: `OP-${reference}` }
        : { state: 'pending' },
    );
  }
}

function body(amount = 1000) {
  return {
    commande: {
      amount,
      description: 'Supplier payment',
      customer: PHONE,
      callback_url: 'https://shop.example/cb',
      custom_data: {},
    },
  };
}

async function payoutRows(gw: TestGateway) {
  return gw.gw.db.command((tx) =>
    tx
      .selectFrom('payouts')
      .select(['id', 'status', 'status_reason', 'status_reason_code', 'dispatch_state', 'created_at_ms'])
      .orderBy('created_at_ms')
      .execute(),
  );
}

async function availability(gw: TestGateway, headers?: Record<string, string>) {
  const answer = await gw.call('GET', '/cauri/v1/operators', headers ? { headers } : {});
  const operators = answer.operators as Array<Record<string, unknown>>;
  return { answer, op: operators.find((o) => o.operator_id === OPERATOR) };
}

/** Makes the operator down: `DOWN_CONSECUTIVE_FAILURES` payouts whose calls fail. */
async function takeDown(gw: TestGateway, operator: SwitchableOperator): Promise<void> {
  operator.down = true;
  for (let i = 0; i < DOWN_CONSECUTIVE_FAILURES; i++) {
    expect((await gw.call('POST', E7, { body: body() })).response_code).toBe('00');
    gw.clock.advance(1);
  }
  expect(await gw.dispatcher.runOnce()).toBe(DOWN_CONSECUTIVE_FAILURES);
  gw.clock.advance(1_500);
}

describe.each(BACKENDS)('operator availability on %s', (backend) => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.destroy();
    gw = undefined;
  });

  it('queues payouts to a down operator with the reason, probes after the pause, and sends each once on recovery', async () => {
    const operator = new SwitchableOperator();
    gw = await startTestGateway(backend, { connector: operator });
    const g = gw;
    await g.fundSub(OPERATOR, 100_000);
    expect((await availability(g)).op).toMatchObject({
      status: 'up',
      calls: 0,
      success_rate: 1,
      queued_payouts: 0,
    });
    await takeDown(g, operator);
    const failedAtMs = g.clock.nowMs();
    expect((await availability(g)).op).toMatchObject({
      status: 'down',
      calls: DOWN_CONSECUTIVE_FAILURES,
      failures: DOWN_CONSECUTIVE_FAILURES,
      success_rate: 0,
      queued_payouts: DOWN_CONSECUTIVE_FAILURES,
    });

    // A new payout while the operator is down: accepted as LigdiCash does (pending), not sent, the reason on file.
    const created = await g.call('POST', E7, { body: body(2_000) });
    expect(created.response_code).toBe('00');
    const callsBefore = operator.creditCalls + operator.statusCalls;
    expect(await g.dispatcher.runOnce()).toBe(0);
    expect(operator.creditCalls + operator.statusCalls).toBe(callsBefore);
    const queued = (await payoutRows(g)).at(-1);
    expect(queued).toMatchObject({ status: 'pending', dispatch_state: 'queued' });
    expect(queued?.status_reason).toMatch(/^queued: operator 11 unavailable since \d{4}-\d{2}-\d{2}T/);
    expect(queued?.status_reason_code).toBe('operator_unavailable');
    const confirm = await g.call(
      'GET',
      `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`,
    );
    expect(confirm.status).toBe('pending');

    // Before the pause is over, the earlier payouts' retries are not sent either.
    g.clock.advance(10_000);
    expect(await g.dispatcher.runOnce()).toBe(0);
    expect(operator.creditCalls + operator.statusCalls).toBe(callsBefore);

    // The operator comes back; after the pause one payout (the oldest) goes as the probe.
    operator.down = false;
    g.clock.ms = failedAtMs + PROBE_AFTER_MS + 1;
    expect(await g.dispatcher.runOnce()).toBe(1);
    const afterProbe = await payoutRows(g);
    expect(afterProbe.filter((p) => p.status === 'completed').map((p) => p.id)).toEqual([afterProbe[0]?.id]);
    expect((await availability(g)).op?.status).toBe('degraded');

    // Recovered: the rest go, each once; a payout whose earlier call failed is asked about before any re-send.
    g.clock.advance(1_500);
    await g.dispatcher.runOnce();
    const done = await payoutRows(g);
    expect(done.map((p) => p.status)).toEqual(Array(DOWN_CONSECUTIVE_FAILURES + 1).fill('completed'));
    for (const p of done) expect(operator.credits.get(p.id)).toBe(1);
    expect(operator.statusCalls).toBeGreaterThanOrEqual(DOWN_CONSECUTIVE_FAILURES);
    expect((await availability(g)).op).toMatchObject({ queued_payouts: 0 });
  });

  it('keeps queued payouts across a restart, and of two instances only one sends the probe', async () => {
    const operator = new SwitchableOperator();
    gw = await startTestGateway(backend, { connector: operator });
    const g = gw;
    await g.fundSub(OPERATOR, 100_000);
    await takeDown(g, operator);
    for (let i = 0; i < 3; i++) await g.call('POST', E7, { body: body(500 + i) });
    expect(await g.dispatcher.runOnce()).toBe(0);
    // The instance dies; two fresh ones (nothing in memory) share the database.
    await g.dispatcher.stop();
    const options = { intervalMs: 60_000, leaseMs: g.gw.config.dispatchLeaseMs };
    const a = new PayoutDispatcher(g.gw, { ...options, instanceId: 'instance-a' }, () => undefined);
    const b = new PayoutDispatcher(g.gw, { ...options, instanceId: 'instance-b' }, () => undefined);
    expect((await payoutRows(g)).every((p) => p.status === 'pending')).toBe(true);
    operator.down = false;
    g.clock.advance(PROBE_AFTER_MS);
    const [sentA, sentB] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(sentA + sentB).toBe(1);
    g.clock.advance(1_500);
    await Promise.all([a.runOnce(), b.runOnce()]);
    g.clock.advance(1_500);
    await Promise.all([a.runOnce(), b.runOnce()]);
    const done = await payoutRows(g);
    expect(done.map((p) => p.status)).toEqual(Array(DOWN_CONSECUTIVE_FAILURES + 3).fill('completed'));
    for (const p of done) expect(operator.credits.get(p.id)).toBe(1);
    await a.stop();
    await b.stop();
  });

  it('answers only with credentials, and counts only the project’s own queued payouts', async () => {
    const operator = new SwitchableOperator();
    gw = await startTestGateway(backend, { connector: operator });
    const g = gw;
    await g.fundSub(OPERATOR, 100_000);
    await takeDown(g, operator);
    const mine = await availability(g);
    expect(mine.answer).toMatchObject({ response_code: '00', window_seconds: 300 });
    expect(mine.op).toMatchObject({
      status: 'down',
      queued_payouts: DOWN_CONSECUTIVE_FAILURES,
      operator_name: 'ORANGE BURKINA',
    });
    expect((await availability(g, g.other.headers)).op).toMatchObject({ status: 'down', queued_payouts: 0 });
    const denied = await g.call('GET', '/cauri/v1/operators', { headers: { authorization: 'Bearer nope' } });
    expect(denied).toMatchObject({ response_code: '01', response_text: 'Echec (Code00)' });
    const unknown = await g.call('GET', '/cauri/v1/operators?status=down');
    expect(unknown).toMatchObject({ response_code: '01' });
  });
  it('is read by the typed client', async () => {
    const operator = new SwitchableOperator();
    gw = await startTestGateway(backend, { connector: operator });
    const g = gw;
    await g.fundSub(OPERATOR, 100_000);
    await takeDown(g, operator);
    const baseUrl = await g.app.listen({ host: '127.0.0.1', port: 0 });
    const answer = await new CauriClient({
      apiKey: g.project.apikey,
      apiToken: g.project.token,
      baseUrl,
    }).operators();
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.value.windowSeconds).toBe(300);
    expect(answer.value.operators.find((o) => o.operatorId === OPERATOR)).toMatchObject({
      status: 'down',
      queuedPayouts: DOWN_CONSECUTIVE_FAILURES,
      successRate: 0,
      consecutiveFailures: DOWN_CONSECUTIVE_FAILURES,
    });
    const refused = await new CauriClient({
      apiKey: g.project.apikey,
      apiToken: 'wrong',
      baseUrl,
    }).operators();
    expect(refused.ok).toBe(false);
  });
});
