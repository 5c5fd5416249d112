import { noteOperatorStatus, readOperatorHealth } from '../commands/operator-health.js';
import {
  DEGRADED_RECHECK_MS,
  type OperatorHealth,
  dispatchGate,
  unavailableReason,
} from '../core/operator-health.js';
import type { Database, Tx } from '../store/database.js';
import {
  claimProbe,
  markPayoutsOperatorUnavailable,
  postponePayoutDispatch,
} from '../store/operator-health.js';

/** Bookkeeping that locks no balance row runs beside the group commit (store/database.ts). */
const SEPARATE = { separate: true } as const;

/**
 * The payout dispatcher's question "may this operator be called now?" (ADR 0026). Given the payouts
 * a pass has found due, oldest first, it says which to send and which to defer: all of them to an
 * operator that is up; a bounded number to a degraded one; to a down one, none, except the oldest
 * as the half-open probe once the pause after the last failure is over (and only by the instance
 * that takes the probe's lease). Deferred payouts stay pending and keep their lease-free state, so
 * that nothing is lost if this process dies: they are only due again later, with the reason on the
 * payout (`status_reason`) while their operator is down.
 */
export const HEALTH_CACHE_MS = 1_000;

export interface DuePayout {
  id: string;
  operatorId: string;
}

export interface Deferral {
  ids: string[];
  afterMs: number;
  /** Written on the payouts when set (only while the operator is down). */
  reason?: string;
}

/** A verdict as this instance holds it, with what became of the probe when one was due. */
interface Verdict {
  atMs: number;
  health: OperatorHealth;
  sinceMs: number;
  /** `granted`: this instance holds the probe's lease and may send one payout; `spent` once it has; `denied`: another instance holds it. */
  probe?: 'granted' | 'spent' | 'denied';
}

/** What a claim should do: send and defer, or first have the verdicts of `missing` operators read. */
export type GateDecision = { missing: string[] } | { send: Set<string>; deferrals: Deferral[] };

/** The verdict of an operator whose calls cannot be read: recording must never stop a payment, so it is up. */
const UNREAD: OperatorHealth = {
  status: 'up',
  downSinceMs: null,
  calls: 0,
  failures: 0,
  successRate: 1,
  latencyP50Ms: null,
  latencyP95Ms: null,
  consecutiveFailures: 0,
  lastFailureAtMs: null,
};

export class OperatorHealthGate {
  /** Recent verdicts per operator, so that a busy dispatcher does not read the exchanges each pass. */
  private readonly cache = new Map<string, Verdict>();
  /**
   * Down operators this instance will not call before the time given: the dispatcher leaves their
   * payouts out of its claims until then, so that a backlog queued for a down operator does not
   * fill every batch and starve the payouts to operators that are up.
   */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly timeoutMs: number,
    private readonly probeLeaseMs: number,
  ) {}

  /**
   * Decides from the verdicts in memory, reading nothing: the claim's transaction must not fail
   * because the record of calls cannot be read. Operators without a fresh verdict (or whose probe
   * is due and not yet taken) come back as `missing`, for `refresh` to read outside the claim.
   */
  decide(due: readonly DuePayout[], nowMs: number): GateDecision {
    const byOperator = new Map<string, string[]>();
    for (const payout of due) {
      const ids = byOperator.get(payout.operatorId) ?? [];
      ids.push(payout.id);
      byOperator.set(payout.operatorId, ids);
    }
    const missing = [...byOperator.keys()].filter((operatorId) => {
      const verdict = this.fresh(operatorId, nowMs);
      return (
        verdict === undefined ||
        (dispatchGate(verdict.health, nowMs).kind === 'probe' && verdict.probe === undefined)
      );
    });
    if (missing.length > 0) return { missing };
    const send = new Set<string>();
    const deferrals: Deferral[] = [];
    for (const [operatorId, ids] of byOperator) {
      const verdict = this.fresh(operatorId, nowMs);
      if (verdict === undefined) continue;
      const gate = dispatchGate(verdict.health, nowMs);
      let sendsMax = 0;
      if (gate.kind === 'send') sendsMax = gate.sendsMax;
      else if (gate.kind === 'probe' && verdict.probe === 'granted') {
        sendsMax = 1;
        verdict.probe = 'spent';
      }
      const sent = ids.slice(0, sendsMax);
      for (const id of sent) send.add(id);
      const rest = ids.slice(sent.length);
      if (rest.length === 0) continue;
      if (verdict.health.status === 'down') {
        const retryAtMs = gate.kind === 'hold' ? gate.retryAtMs : nowMs + DEGRADED_RECHECK_MS;
        this.held.set(operatorId, retryAtMs);
        deferrals.push({
          ids: rest,
          afterMs: retryAtMs,
          reason: unavailableReason(operatorId, verdict.sinceMs),
        });
      } else {
        deferrals.push({ ids: rest, afterMs: nowMs + DEGRADED_RECHECK_MS });
      }
    }
    return { send, deferrals };
  }

  /**
   * Reads the verdicts of `operatorIds`, each in a small command of its own, records state changes
   * and, where a probe is due, tries to take its lease. A verdict that cannot be read is up.
   */
  async refresh(db: Database, operatorIds: readonly string[], nowMs: number): Promise<void> {
    for (const operatorId of operatorIds) {
      try {
        const verdict = await db.command(async (tx): Promise<Verdict> => {
          const health = await readOperatorHealth(tx, operatorId, nowMs, this.timeoutMs);
          const sinceMs = await noteOperatorStatus(tx, operatorId, health, nowMs);
          if (dispatchGate(health, nowMs).kind !== 'probe') return { atMs: nowMs, health, sinceMs };
          return {
            atMs: nowMs,
            health,
            sinceMs,
            probe: (await claimProbe(tx, operatorId, nowMs, this.probeLeaseMs)) ? 'granted' : 'denied',
          };
        }, SEPARATE);
        this.cache.set(operatorId, verdict);
      } catch {
        this.cache.set(operatorId, { atMs: nowMs, health: UNREAD, sinceMs: nowMs });
      }
    }
  }

  /** The operators whose payouts a claim made at `nowMs` leaves out (see `held`). */
  heldOperators(nowMs: number): string[] {
    const out: string[] = [];
    for (const [operatorId, untilMs] of this.held) {
      if (nowMs < untilMs) out.push(operatorId);
      else this.held.delete(operatorId);
    }
    return out;
  }

  /** Forgets the cached verdicts (tests; an instance that wants to look again now). */
  forget(): void {
    this.cache.clear();
    this.held.clear();
  }

  private fresh(operatorId: string, nowMs: number): Verdict | undefined {
    const verdict = this.cache.get(operatorId);
    return verdict !== undefined && nowMs >= verdict.atMs && nowMs - verdict.atMs < HEALTH_CACHE_MS
      ? verdict
      : undefined;
  }
}

/** Moves deferred payouts' dispatch later, and records why while their operator is down. */
export async function deferPayouts(tx: Tx, deferrals: readonly Deferral[], nowMs: number): Promise<void> {
  for (const { ids, afterMs, reason } of deferrals) {
    await postponePayoutDispatch(tx, ids, afterMs);
    if (reason !== undefined) await markPayoutsOperatorUnavailable(tx, ids, reason, nowMs);
  }
}
