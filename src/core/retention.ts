/**
 * Retention (issue 12, ADR 0022): how long the gateway keeps the records that only explain the
 * past, not the money. Each target is a table whose rows age out; the ledger's transfers, payins,
 * payouts, their transaction events and the callback outbox are never targets.
 */
export const RETENTION_TARGETS = [
  'callback_attempts',
  'operator_exchanges',
  'idempotency',
  'console_audit',
  'console_sessions',
] as const;
export type RetentionTarget = (typeof RETENTION_TARGETS)[number];

export const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  /**
   * Days a row is kept, 0 meaning forever. Counted from a callback POST's start, an operator
   * exchange's start, an idempotency record's creation, an audit line's time, and a console
   * session's expiry.
   */
  keepDays: Record<RetentionTarget, number>;
  /** Rows one transaction deletes at most, so that no delete holds its locks for long. */
  batchSize: number;
  /** Batches one run deletes per target at most; a backlog is worked off over several runs. */
  batchesPerRunMax: number;
  /** How often the worker runs, in ms; 0: it does not run (`cauri retention run` still does). */
  intervalMs: number;
}

/** The environment variable of each target's `keepDays`. */
export const RETENTION_ENV: Record<RetentionTarget, string> = {
  callback_attempts: 'CAURI_RETENTION_CALLBACK_ATTEMPTS_DAYS',
  operator_exchanges: 'CAURI_RETENTION_OPERATOR_EXCHANGES_DAYS',
  idempotency: 'CAURI_RETENTION_IDEMPOTENCY_DAYS',
  console_audit: 'CAURI_RETENTION_CONSOLE_AUDIT_DAYS',
  console_sessions: 'CAURI_RETENTION_CONSOLE_SESSIONS_DAYS',
};

/**
 * Defaults a production gateway would pick: callback POSTs for a quarter (a merchant asking why a
 * callback failed asks within weeks), operator exchanges for half a year (operators' disputes and
 * reconciliations), idempotency records for a week (replay is promised for 24 h only, ADR 0005),
 * the console's audit trail for over a year (a yearly audit finds last year's lines), and expired
 * console sessions for a day.
 */
export const RETENTION_DEFAULT_DAYS: Record<RetentionTarget, number> = {
  callback_attempts: 90,
  operator_exchanges: 180,
  idempotency: 7,
  console_audit: 400,
  console_sessions: 1,
};

/**
 * The least non-zero `keepDays` per target. Idempotency records are kept at least a day, the 24 h
 * within which a retry with the same key replays the first answer (IDEMPOTENCY_TTL_MS).
 */
export const RETENTION_MIN_DAYS: Record<RetentionTarget, number> = {
  callback_attempts: 1,
  operator_exchanges: 1,
  idempotency: 1,
  console_audit: 1,
  console_sessions: 1,
};
export const RETENTION_DAYS_MAX = 3650;

export const RETENTION_BATCH_SIZE_DEFAULT = 1000;
export const RETENTION_BATCH_SIZE_MAX = 10_000;
export const RETENTION_BATCHES_PER_RUN_DEFAULT = 50;
export const RETENTION_BATCHES_PER_RUN_MAX = 10_000;
export const RETENTION_INTERVAL_SECONDS_DEFAULT = 600;

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  keepDays: RETENTION_DEFAULT_DAYS,
  batchSize: RETENTION_BATCH_SIZE_DEFAULT,
  batchesPerRunMax: RETENTION_BATCHES_PER_RUN_DEFAULT,
  intervalMs: RETENTION_INTERVAL_SECONDS_DEFAULT * 1000,
};

/** Rows of `target` older than this time (ms) are due for deletion; undefined when kept forever. */
export function retentionCutoffMs(
  policy: RetentionPolicy,
  target: RetentionTarget,
  nowMs: number,
): number | undefined {
  const days = policy.keepDays[target];
  return days === 0 ? undefined : nowMs - days * DAY_MS;
}
