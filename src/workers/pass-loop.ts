import type { Heartbeat } from '../metrics/heartbeat.js';

/**
 * A worker's passes: once started, a timer runs one every `intervalMs` and `kick` runs one now,
 * never two at once; a kick during a pass asks for one more right after it. A pass that returns
 * beats the heartbeat (`/ready`, ADR 0020); one that throws is told to `onError` and does not.
 * Until `start`, and after `stop`, kicks do nothing (a worker that was never started runs only
 * through its own `runOnce`, as tests do).
 */
export class PassLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private halted = true;

  constructor(
    private readonly intervalMs: number,
    private readonly heartbeat: Heartbeat,
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Whether the loop is not running passes (not started yet, or stopped): a pass ends early. */
  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.halted = false;
    this.heartbeat.start();
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a pass now, or right after the current one. */
  kick(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops the timer and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.halted = true;
    this.heartbeat.stop();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
        this.heartbeat.beat();
      } catch (error) {
        this.onError(error);
      }
    } while (this.again && !this.halted);
  }
}
