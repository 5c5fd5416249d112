import type { LatencySummary } from './stats.js';

/** Messages between the orchestrator (run.ts) and the load-generator process (load.ts), over IPC. */
export type HttpScenario = 'payins' | 'payouts' | 'merchant' | 'topup0' | 'callbacks';

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
  /** Paced (open-loop) load: operations started per second, instead of `concurrency` in a closed loop. */
  ratePerSecond?: number | undefined;
  /** The payouts' callback_url (callbacks scenario); empty for none. */
  callbackUrl?: string | undefined;
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
  /** The measured window on the wall clock (performance.timeOrigin + now), ms, to compare with the server's and the receiver's times. */
  windowStartEpochMs: number;
  windowEndEpochMs: number;
  /** Paced load only: the target rate, and the most operations in flight at once. */
  paced?: { targetPerSecond: number; inFlightPeak: number; inFlightMax: number } | undefined;
  /** Callbacks scenario: each payout answered in the window, [transaction_id, answer time on the wall clock in ms]. */
  answered?: [string, number][] | undefined;
}

export type LoadMessage =
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: LoadResult }
  | { type: 'failed'; error: string };
