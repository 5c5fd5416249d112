/**
 * Failed sign-ins per client address, in memory: a second fence beside the per-account lock-out,
 * against one address guessing across many usernames. Bounded in entries; per process (each
 * instance behind a load balancer counts on its own, which the per-account lock-out, kept in the
 * database, does not depend on).
 */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; windowStartMs: number }>();

  constructor(
    private readonly failuresMax: number,
    private readonly windowMs: number,
    private readonly entriesMax = 10_000,
  ) {}

  blocked(key: string, nowMs: number): boolean {
    const entry = this.failures.get(key);
    if (entry === undefined) return false;
    if (nowMs - entry.windowStartMs >= this.windowMs) {
      this.failures.delete(key);
      return false;
    }
    return entry.count >= this.failuresMax;
  }

  fail(key: string, nowMs: number): void {
    const entry = this.failures.get(key);
    if (entry !== undefined && nowMs - entry.windowStartMs < this.windowMs) {
      entry.count++;
      return;
    }
    if (this.failures.size >= this.entriesMax) this.evict(nowMs);
    this.failures.set(key, { count: 1, windowStartMs: nowMs });
  }

  /** Drops ended windows, and when all are live the oldest entry (Map keeps insertion order). */
  private evict(nowMs: number): void {
    for (const [key, entry] of this.failures) if (nowMs - entry.windowStartMs >= this.windowMs) this.failures.delete(key);
    if (this.failures.size >= this.entriesMax) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
  }
}
