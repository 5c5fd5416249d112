import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Database } from '../store/database.js';
import { writeExchangeIntent, writeExchangeOutcome } from '../store/operator-exchanges.js';
import type { DebitRequest, OperatorConnector, OperatorNotification, RawNotification } from './connector.js';
import {
  EXCHANGE_ERROR_CHARS_MAX,
  type ExchangeAction,
  type ExchangeSink,
  type ExchangeSinks,
  type OperatorExchange,
  bounded,
} from '../core/operator-exchanges.js';

/** Bookkeeping that locks no balance row runs beside the group commit (store/database.ts). */
/**
 * Beside the API's group commits, and as a wave (ADR 0019): each record writes its own row only, so
 * the records of payouts sent together go out pipelined in one transaction.
 */
const SEPARATE = { separate: true, concurrent: true } as const;

/**
 * The connector, recording. The decorator delegates by prototype: what it does not record reads
 * through to the wrapped connector. That keeps `simulatorDeskOf` (an `instanceof SimulatorConnector`
 * test) and the simulator's `desk` working on the decorated connector, so that the sandbox routes
 * still find the simulated operators' back office. Optional methods stay absent when the wrapped
 * connector lacks them (a credit-only connector must still read as one).
 */
export function recordExchanges(
  connector: OperatorConnector,
  sink: ExchangeSink,
  clock: Clock,
): OperatorConnector {
  const timed = <T>(
    action: ExchangeAction,
    reference: string,
    operatorId: string,
    request: unknown,
    call: () => Promise<T>,
  ): Promise<T> => timeCall({ sink, clock, action, reference, operatorId, request }, call);
  const recording = Object.create(connector) as OperatorConnector;
  recording.requestCredit = (request) =>
    timed('credit', request.reference, request.operatorId, request, () => connector.requestCredit(request));
  // The operator state is not recorded: it may carry the operator's per-payment token.
  recording.queryStatus = (reference, operatorId, operatorState) =>
    timed('status', reference, operatorId, { reference, operatorId }, () =>
      connector.queryStatus(reference, operatorId, operatorState),
    );
  const requestDebit = connector.requestDebit?.bind(connector);
  const parseNotification = connector.parseNotification?.bind(connector);
  const refund = connector.refund?.bind(connector);
  const queryRefund = connector.queryRefund?.bind(connector);
  if (refund !== undefined)
    recording.refund = (request) =>
      timed('refund', request.reference, request.operatorId, request, () => refund(request));
  if (queryRefund !== undefined)
    recording.queryRefund = (request) =>
      timed('status', request.reference, request.operatorId, request, () => queryRefund(request));
  if (requestDebit !== undefined) {
    recording.requestDebit = (request) =>
      timed('debit', request.reference, request.operatorId, maskedDebit(request), () =>
        requestDebit(request),
      );
  }
  if (parseNotification !== undefined) {
    recording.parseNotification = (operatorId, raw) => {
      const startedAtMs = clock.nowMs();
      const started = performance.now();
      const parsed = parseNotification(operatorId, raw);
      if (parsed !== undefined)
        void deliver(
          sink,
          newId('opx'),
          notificationExchange(operatorId, raw, parsed, startedAtMs, elapsedMs(started)),
        );
      return parsed;
    };
  }
  return recording;
}

interface CallContext {
  sink: ExchangeSink;
  clock: Clock;
  action: ExchangeAction;
  reference: string;
  operatorId: string;
  request: unknown;
}

/**
 * Makes the call, then writes its record before handing the answer back: the exchange is on file
 * before the outcome is settled, and the sink's pace holds back the callers (the write counts
 * against their operator timeout, which treats a late answer as "still pending", a safe state).
 */
async function timeCall<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  const { sink, clock, action, reference, operatorId, request } = context;
  const startedAtMs = clock.nowMs();
  const started = performance.now();
  const exchange = (outcome: unknown, error: string | null): OperatorExchange => ({
    action,
    reference,
    operatorId,
    request,
    outcome,
    error,
    startedAtMs,
    latencyMs: elapsedMs(started),
  });
  const id = newId('opx');
  if (typeof sink !== 'function') await deliverTo(() => sink.intent(id, exchange(null, null)));
  let outcome: T;
  try {
    outcome = await call();
  } catch (error) {
    await deliver(
      sink,
      id,
      exchange(describeError(error), bounded(errorMessage(error), EXCHANGE_ERROR_CHARS_MAX)),
    );
    throw error;
  }
  await deliver(sink, id, exchange(outcome, null));
  return outcome;
}

function notificationExchange(
  operatorId: string,
  raw: RawNotification,
  parsed: OperatorNotification,
  startedAtMs: number,
  latencyMs: number,
): OperatorExchange {
  // The body only: the headers carry the operator's signature, which is a credential.
  return {
    action: 'notification',
    reference: parsed.reference,
    operatorId,
    request: { body: raw.body },
    outcome: parsed.outcome,
    error: null,
    startedAtMs,
    latencyMs,
  };
}

/**
 * A record that cannot be written is dropped: the console loses a line, the payment goes on. The
 * sink may fail by rejecting or by throwing; neither reaches the caller.
 */
async function deliver(sink: ExchangeSink, id: string, exchange: OperatorExchange): Promise<void> {
  await deliverTo(() => (typeof sink === 'function' ? sink(exchange) : sink.outcome(id, exchange)));
}

async function deliverTo(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch {
    // Dropped on purpose (see above).
  }
}

/** The customer's USSD payment code is a credential for one payment: it is not kept. */
function maskedDebit(request: DebitRequest): DebitRequest {
  return request.otp === '' ? request : { ...request, otp: '***' };
}

function elapsedMs(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeError(error: unknown): { error: string; message: string } {
  return { error: error instanceof Error ? error.name : typeof error, message: errorMessage(error) };
}

/**
 * The sink of the gateway: one row per exchange, written as an intent before the call and
 * completed after it, each write in its own small transaction (no transaction spans the call).
 */
export function storeExchanges(db: Database): ExchangeSinks {
  return {
    async intent(id, exchange) {
      await db.command((tx) => writeExchangeIntent(tx, id, exchange), SEPARATE);
    },
    async outcome(id, exchange) {
      await db.command((tx) => writeExchangeOutcome(tx, id, exchange), SEPARATE);
    },
  };
}
