import type { Clock } from '../core/clock.js';
import { Heartbeat, PASS_BUDGET_MS } from '../metrics/heartbeat.js';
import { type RetentionOutcome, runRetention } from '../commands/retention.js';
import type { RetentionPolicy } from '../core/retention.js';
import type { Database } from '../store/database.js';

/**
 * Runs retention (ADR 0022) every `intervalMs`, one run at a time in this process; runs of
 * several processes may overlap harmlessly (commands/retention.ts). The first run waits a random
 * part of an interval, so that instances started together do not all delete at once. An interval
 * of 0 starts nothing: retention then runs only through `cauri retention run`.
 */
export class RetentionWorker {
  /** For `/ready` (ADR 0020): beats after every run, failed or not (a failure is logged). */
  readonly heartbeat: Heartbeat;
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly policy: RetentionPolicy,
    private readonly onError: (error: unknown) => void,
    /** Told of every run that deleted something, for the log. */
    private readonly onRun: (outcomes: RetentionOutcome[]) => void = () => undefined,
  ) {
    // The first run starts at a random point of the first interval: allow two intervals.
    this.heartbeat = new Heartbeat('retention', policy.intervalMs, PASS_BUDGET_MS + policy.intervalMs);
  }

  start(): void {
    const { intervalMs } = this.policy;
    if (intervalMs === 0) return;
    this.heartbeat.start();
    this.first = setTimeout(
      () => {
        this.tick();
        this.timer = setInterval(() => this.tick(), intervalMs);
        this.timer.unref();
      },
      Math.floor(Math.random() * intervalMs),
    );
    this.first.unref();
  }

  async stop(): Promise<void> {
    this.heartbeat.stop();
    this.stopping = true;
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One run, for tests and the timer. */
  runOnce(): Promise<RetentionOutcome[]> {
    return runRetention(this.db, this.policy, this.clock.nowMs(), { shouldStop: () => this.stopping });
  }

  private tick(): void {
    if (this.running || this.stopping) return;
    this.running = this.runOnce()
      .then((outcomes) => {
        if (outcomes.some((o) => o.deleted > 0)) this.onRun(outcomes);
      })
      .catch(this.onError)
      .finally(() => {
        this.heartbeat.beat();
        this.running = undefined;
      });
  }
}
