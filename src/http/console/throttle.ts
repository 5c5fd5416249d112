import { isIP } from 'node:net';

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
    for (const [key, entry] of this.failures)
      if (nowMs - entry.windowStartMs >= this.windowMs) this.failures.delete(key);
    if (this.failures.size >= this.entriesMax) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
  }
}

/**
 * The unit the per-address limits count (failures, and sign-in checks in flight): an IPv4
 * address, or an IPv6 /64 network, the smallest block one subscriber is given (RFC 6177, RIPE-690),
 * so that one host cannot pass each attempt from a fresh address of its 2^64.
 */
export function addressKey(ip: string): string {
  const bare = ip.split('%')[0] ?? '';
  if (isIP(bare) !== 6) return ip;
  return `${ipv6Groups(bare)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`isIP` has checked it): `::` expanded, a dotted IPv4 tail as two groups. */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => parseInt(group, 16));
}
