import { claimProbe, noteOperatorStatus, readOperatorHealth } from '../commands/operator-health.js';
import { DEGRADED_RECHECK_MS, type OperatorHealth, dispatchGate, unavailableReason } from '../core/operator-health.js';
import type { Tx } from '../store/database.js';

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

export interface GateDecision {
  send: Set<string>;
  deferrals: Deferral[];
}

export class OperatorHealthGate {
  /** Recent verdicts per operator, so that a busy dispatcher does not read the exchanges each pass. */
  private readonly cache = new Map<string, { atMs: number; health: OperatorHealth; sinceMs: number }>();
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

  async decide(tx: Tx, due: readonly DuePayout[], nowMs: number): Promise<GateDecision> {
    const send = new Set<string>();
    const deferrals: Deferral[] = [];
    const byOperator = new Map<string, string[]>();
    for (const payout of due) {
      const ids = byOperator.get(payout.operatorId) ?? [];
      ids.push(payout.id);
      byOperator.set(payout.operatorId, ids);
    }
    for (const [operatorId, ids] of byOperator) {
      const { health, sinceMs } = await this.verdict(tx, operatorId, nowMs);
      const gate = dispatchGate(health, nowMs);
      let sendsMax = 0;
      if (gate.kind === 'send') sendsMax = gate.sendsMax;
      else if (gate.kind === 'probe' && (await claimProbe(tx, operatorId, nowMs, this.probeLeaseMs))) sendsMax = 1;
      const sent = ids.slice(0, sendsMax);
      for (const id of sent) send.add(id);
      const rest = ids.slice(sent.length);
      if (rest.length === 0) continue;
      if (health.status === 'down') {
        const retryAtMs = gate.kind === 'hold' ? gate.retryAtMs : nowMs + DEGRADED_RECHECK_MS;
        this.held.set(operatorId, retryAtMs);
        deferrals.push({ ids: rest, afterMs: retryAtMs, reason: unavailableReason(operatorId, sinceMs) });
      } else {
        deferrals.push({ ids: rest, afterMs: nowMs + DEGRADED_RECHECK_MS });
      }
    }
    return { send, deferrals };
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

  private async verdict(tx: Tx, operatorId: string, nowMs: number): Promise<{ health: OperatorHealth; sinceMs: number }> {
    const cached = this.cache.get(operatorId);
    // A down verdict is read afresh each time: its probe and its recovery must not wait on a cache.
    if (cached !== undefined && cached.health.status !== 'down' && nowMs >= cached.atMs && nowMs - cached.atMs < HEALTH_CACHE_MS) return cached;
    const health = await readOperatorHealth(tx, operatorId, nowMs, this.timeoutMs);
    const sinceMs = await noteOperatorStatus(tx, operatorId, health, nowMs);
    const verdict = { atMs: nowMs, health, sinceMs };
    this.cache.set(operatorId, verdict);
    return verdict;
  }
}

/** Moves deferred payouts' dispatch later, and records why while their operator is down. */
export async function deferPayouts(tx: Tx, deferrals: readonly Deferral[], nowMs: number): Promise<void> {
  for (const { ids, afterMs, reason } of deferrals) {
    await tx.updateTable('payouts').set({ dispatch_after_ms: afterMs, dispatch_owner: null }).where('id', 'in', ids).where('status', '=', 'pending').execute();
    if (reason === undefined) continue;
    // Only a changed reason is written: each write is a state change in the payout's story (migration 0005).
    await tx
      .updateTable('payouts')
      .set({ status_reason: reason, updated_at_ms: nowMs })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('status_reason', 'is', null), eb('status_reason', '!=', reason)]))
      .execute();
  }
}
