import type { LatencySummary } from './stats.js';

/** Messages between the orchestrator (run.ts) and the load-generator process (load.ts), over IPC. */
export type HttpScenario = 'payins' | 'payouts';

export interface LoadJob {
  scenario: HttpScenario;
  port: number;
  apikey: string;
  apiToken: string;
  /** Customer wallets; each payin worker owns a disjoint subset, so no two OTPs of a phone overlap. */
  phones: string[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  maxOps: number;
  amountXof: number;
  /** Prefix of payout transaction ids, distinct per run and database. */
  runId: string;
  /** OTPs a phone may receive per hour (the server's CAURI_OTP_PER_HOUR_MAX). */
  otpPerPhoneMax: number;
}

export interface LoadResult {
  scenario: HttpScenario;
  /** Operations completed inside the measured window. */
  ops: number;
  /** Failed operations inside the measured window (not in `ops`). */
  errors: number;
  /** First few distinct failure messages. */
  errorSamples: string[];
  /** Length of the measured window, ms (shorter than asked when --max-ops ended it). */
  windowMs: number;
  opsPerSecond: number;
  latency: LatencySummary;
  /** Per HTTP request of a payin flow: debitotp, sms, withotp. */
  steps: Record<string, LatencySummary>;
  /** Operations completed during warm-up, discarded. */
  warmupOps: number;
  stoppedBy: 'time' | 'max-ops' | 'otp-budget';
}

export type LoadMessage = { type: 'measure-start' } | { type: 'measure-end' } | { type: 'result'; result: LoadResult } | { type: 'failed'; error: string };
