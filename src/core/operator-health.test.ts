import { describe, expect, it } from 'vitest';
import {
  DEGRADED_SENDS_PER_PASS,
  DOWN_CONSECUTIVE_FAILURES,
  PROBE_AFTER_MS,
  type HealthSample,
  dispatchGate,
  evaluateHealth,
  percentile,
  samplesOf,
  unavailableReason,
} from './operator-health.js';

const ok = (atMs: number, latencyMs = 100): HealthSample => ({ startedAtMs: atMs, latencyMs, failed: false });
const ko = (atMs: number, latencyMs = 100): HealthSample => ({ startedAtMs: atMs, latencyMs, failed: true });

describe('operator health', () => {
  it('is up without calls and with successful calls', () => {
    expect(evaluateHealth([]).status).toBe('up');
    const health = evaluateHealth([ok(1, 10), ok(2, 20), ok(3, 30), ok(4, 40)]);
    expect(health).toMatchObject({
      status: 'up',
      calls: 4,
      successRate: 1,
      latencyP50Ms: 20,
      latencyP95Ms: 40,
    });
  });

  it('is down after consecutive failures, since the first of them', () => {
    const samples = [ok(1), ...Array.from({ length: DOWN_CONSECUTIVE_FAILURES }, (_, i) => ko(10 + i))];
    const health = evaluateHealth(samples);
    expect(health).toMatchObject({
      status: 'down',
      downSinceMs: 10,
      consecutiveFailures: DOWN_CONSECUTIVE_FAILURES,
    });
  });

  it('is down on a high error rate while the last call failed, degraded once one succeeds', () => {
    const failing = [ok(1), ko(2), ok(3), ko(4), ko(5), ok(6), ko(7)];
    expect(evaluateHealth(failing).status).toBe('down');
    expect(evaluateHealth([...failing, ok(8)]).status).toBe('degraded');
  });

  it('is degraded on a moderate error rate or a slow p95', () => {
    expect(evaluateHealth([ok(1), ok(2), ok(3), ko(4), ok(5)]).status).toBe('degraded');
    expect(evaluateHealth([ok(1, 20_000), ok(2, 20_000)]).status).toBe('degraded');
  });

  it('counts an intent older than the timeout as a failure and ignores younger ones', () => {
    const samples = samplesOf(
      [
        { startedAtMs: 0, latencyMs: 0, error: false, intentOnly: true },
        { startedAtMs: 9_500, latencyMs: 0, error: false, intentOnly: true },
        { startedAtMs: 100, latencyMs: 50, error: true, intentOnly: false },
      ],
      10_000,
      1_000,
    );
    expect(samples).toEqual([
      { startedAtMs: 0, latencyMs: 1_000, failed: true },
      { startedAtMs: 100, latencyMs: 50, failed: true },
    ]);
  });

  it('gates payouts: all when up, a bounded number when degraded, a probe after the pause when down', () => {
    expect(dispatchGate(evaluateHealth([ok(1)]), 2)).toEqual({
      kind: 'send',
      sendsMax: Number.POSITIVE_INFINITY,
    });
    expect(dispatchGate(evaluateHealth([ok(1), ok(2), ok(3), ko(4), ok(5)]), 6)).toEqual({
      kind: 'send',
      sendsMax: DEGRADED_SENDS_PER_PASS,
    });
    const down = evaluateHealth(Array.from({ length: 5 }, (_, i) => ko(i * 10, 5)));
    expect(dispatchGate(down, 100)).toMatchObject({ kind: 'hold' });
    expect(dispatchGate(down, 45 + PROBE_AFTER_MS)).toEqual({ kind: 'probe' });
  });

  it('words the reason with the time the operator went down', () => {
    expect(unavailableReason('11', Date.UTC(2026, 0, 2, 3, 4, 5))).toBe(
      'queued: operator 11 unavailable since 2026-01-02T03:04:05.000Z',
    );
    expect(percentile([], 0.5)).toBeNull();
  });
});
