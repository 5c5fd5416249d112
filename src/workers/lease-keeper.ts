/**
 * The heartbeat of leased work (ADR 0018). A worker claims rows with a short lease (their due time
 * moves a few seconds into the future) and, while their operator calls are in flight, this keeper
 * renews the lease of every row it holds a few times per lease. So a row is claimed again by
 * another instance only when its holder stopped renewing: it died, or lost the database. A live
 * holder whose operator call takes up to `CAURI_OPERATOR_TIMEOUT_MS` keeps its work.
 *
 * Release waits for a renewal in flight, so that the settlement the worker writes next is never
 * followed by a late renewal of the same row.
 */
export const RENEWALS_PER_LEASE = 3;

export class LeaseKeeper {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<unknown> | undefined;

  /** `renew` extends, by one lease from now, the lease of those of the given rows this instance still holds. */
  constructor(
    private readonly leaseMs: number,
    private readonly renew: (ids: string[]) => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  hold(ids: readonly string[]): void {
    for (const id of ids) this.held.add(id);
    if (this.held.size > 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.beat(), Math.max(1, Math.floor(this.leaseMs / RENEWALS_PER_LEASE)));
      this.timer.unref();
    }
  }

  async release(id: string): Promise<void> {
    this.held.delete(id);
    if (this.held.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    await this.renewing;
  }

  private beat(): void {
    if (this.renewing !== undefined || this.held.size === 0) return;
    const ids = [...this.held];
    // A row settled meanwhile (by a notification) or, after a stall longer than the lease, claimed
    // by another instance is not renewed: the update names the holder and pending rows only.
    this.renewing = this.renew(ids)
      .catch(this.onError)
      .finally(() => {
        this.renewing = undefined;
      });
  }
}
