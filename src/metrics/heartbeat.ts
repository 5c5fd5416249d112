import { performance } from 'node:perf_hooks';

/**
 * A worker loop's sign of life, for `/ready` (ADR 0020). The loop beats after every pass; a loop
 * that was started, not stopped, and has not beaten for `staleAfterMs` is taken for dead (wedged on
 * a call that never returns, or its timer gone). In memory and monotonic: a clock change or a
 * test's manual clock does not make a worker look dead.
 */
export type HeartbeatState = { alive: true; detail: string } | { alive: false; detail: string };

/** What a pass may take beyond its interval before the worker counts as stalled: a database wait (statement_timeout is 30 s). */
export const PASS_BUDGET_MS = 30_000;
/** Intervals a worker may miss. */
export const MISSED_INTERVALS_MAX = 3;

export class Heartbeat {
  private startedAt: number | undefined;
  private lastBeatAt: number | undefined;
  private stopped = false;
  readonly staleAfterMs: number;

  /**
   * @param name how `/ready` names the worker
   * @param intervalMs how often the worker's timer runs a pass
   * @param passBudgetMs how long one pass may legitimately take (more for a pass that waits on operators)
   */
  constructor(
    readonly name: string,
    intervalMs: number,
    passBudgetMs = PASS_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.staleAfterMs = MISSED_INTERVALS_MAX * intervalMs + passBudgetMs;
  }

  start(): void {
    this.startedAt = this.now();
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
  }

  beat(): void {
    this.lastBeatAt = this.now();
  }

  state(): HeartbeatState {
    if (this.startedAt === undefined) return { alive: true, detail: 'not started in this process' };
    if (this.stopped) return { alive: false, detail: 'stopped' };
    const since = this.lastBeatAt ?? this.startedAt;
    const silentMs = Math.round(this.now() - since);
    if (silentMs > this.staleAfterMs)
      return { alive: false, detail: `no pass finished for ${silentMs} ms (limit ${this.staleAfterMs} ms)` };
    return {
      alive: true,
      detail: this.lastBeatAt === undefined ? 'started' : `last pass ${silentMs} ms ago`,
    };
  }
}
