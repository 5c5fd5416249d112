import {
  RETENTION_BATCHES_PER_RUN_DEFAULT,
  RETENTION_BATCHES_PER_RUN_MAX,
  RETENTION_BATCH_SIZE_DEFAULT,
  RETENTION_BATCH_SIZE_MAX,
  RETENTION_DAYS_MAX,
  RETENTION_DEFAULT_DAYS,
  RETENTION_ENV,
  RETENTION_INTERVAL_SECONDS_DEFAULT,
  RETENTION_MIN_DAYS,
  RETENTION_TARGETS,
  type RetentionPolicy,
  type RetentionTarget,
  DAY_MS,
} from './core/retention.js';
import type { PreviousTokenSecret } from './core/tokens.js';

/**
 * The settings of ADR 0022 (retention, token-secret rotation), parsed and bounded. They return
 * their mistakes as values so that config.ts turns them into its ConfigError, as for every other
 * setting, without this file importing config.ts back.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const TOKEN_SECRET_LENGTH_MIN = 32;
/** The longest grace a previous token secret gets: a rotation that never ends rotates nothing. */
export const TOKEN_GRACE_DAYS_MAX = 366;
/** ISO 8601: a date (midnight UTC), or a date and time with its offset; never a local time. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): Parsed<number> {
  const raw = env[name];
  if (raw === undefined || raw === '') return { ok: true, value: fallback };
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    return { ok: false, message: `${name} must be an integer from ${min} to ${max}, not "${raw}"` };
  }
  return { ok: true, value };
}

function keepDaysOf(env: NodeJS.ProcessEnv, target: RetentionTarget): Parsed<number> {
  const name = RETENTION_ENV[target];
  const parsed = integer(env, name, RETENTION_DEFAULT_DAYS[target], 0, RETENTION_DAYS_MAX);
  if (parsed.ok && parsed.value !== 0 && parsed.value < RETENTION_MIN_DAYS[target]) {
    return {
      ok: false,
      message: `${name} must be 0 (keep forever) or at least ${RETENTION_MIN_DAYS[target]}`,
    };
  }
  return parsed;
}

/** `CAURI_RETENTION_*`: days kept per table (0: forever), batch size, batches per run, interval. */
export function retentionPolicyOf(env: NodeJS.ProcessEnv): Parsed<RetentionPolicy> {
  const keepDays = { ...RETENTION_DEFAULT_DAYS };
  for (const target of RETENTION_TARGETS) {
    const days = keepDaysOf(env, target);
    if (!days.ok) return days;
    keepDays[target] = days.value;
  }
  const batchSize = integer(
    env,
    'CAURI_RETENTION_BATCH_SIZE',
    RETENTION_BATCH_SIZE_DEFAULT,
    1,
    RETENTION_BATCH_SIZE_MAX,
  );
  if (!batchSize.ok) return batchSize;
  const batches = integer(
    env,
    'CAURI_RETENTION_BATCHES_PER_RUN',
    RETENTION_BATCHES_PER_RUN_DEFAULT,
    1,
    RETENTION_BATCHES_PER_RUN_MAX,
  );
  if (!batches.ok) return batches;
  const intervalSeconds = integer(
    env,
    'CAURI_RETENTION_INTERVAL_SECONDS',
    RETENTION_INTERVAL_SECONDS_DEFAULT,
    0,
    86_400,
  );
  if (!intervalSeconds.ok) return intervalSeconds;
  return {
    ok: true,
    value: {
      keepDays,
      batchSize: batchSize.value,
      batchesPerRunMax: batches.value,
      intervalMs: intervalSeconds.value * 1000,
    },
  };
}

/**
 * `CAURI_TOKEN_SECRET_PREVIOUS` and `CAURI_TOKEN_SECRET_PREVIOUS_UNTIL` (ADR 0022): both or
 * neither. The end is an explicit instant, the same for every instance whenever it starts; one
 * already past is accepted (the previous secret then verifies nothing), one further than
 * TOKEN_GRACE_DAYS_MAX from now is refused.
 */
export function previousTokenSecretOf(
  env: NodeJS.ProcessEnv,
  nowMs: number,
): Parsed<PreviousTokenSecret | undefined> {
  const secret = env.CAURI_TOKEN_SECRET_PREVIOUS ?? '';
  const until = (env.CAURI_TOKEN_SECRET_PREVIOUS_UNTIL ?? '').trim();
  if (secret === '' && until === '') return { ok: true, value: undefined };
  if (secret === '' || until === '') {
    return {
      ok: false,
      message:
        'CAURI_TOKEN_SECRET_PREVIOUS and CAURI_TOKEN_SECRET_PREVIOUS_UNTIL go together: the old secret, and when its tokens stop being accepted',
    };
  }
  if (secret.length < TOKEN_SECRET_LENGTH_MIN)
    return {
      ok: false,
      message: `CAURI_TOKEN_SECRET_PREVIOUS must have at least ${TOKEN_SECRET_LENGTH_MIN} characters`,
    };
  if (secret === env.CAURI_TOKEN_SECRET)
    return {
      ok: false,
      message:
        'CAURI_TOKEN_SECRET_PREVIOUS is the same as CAURI_TOKEN_SECRET: set CAURI_TOKEN_SECRET to the new secret',
    };
  const untilMs = ISO_INSTANT.test(until) ? Date.parse(until) : Number.NaN;
  if (!Number.isFinite(untilMs)) {
    return {
      ok: false,
      message: `CAURI_TOKEN_SECRET_PREVIOUS_UNTIL must be an ISO 8601 date or date-time with its offset (e.g. 2027-01-31T00:00:00Z), not "${until}"`,
    };
  }
  if (untilMs > nowMs + TOKEN_GRACE_DAYS_MAX * DAY_MS) {
    return {
      ok: false,
      message: `CAURI_TOKEN_SECRET_PREVIOUS_UNTIL must be at most ${TOKEN_GRACE_DAYS_MAX} days from now`,
    };
  }
  return { ok: true, value: { secret, untilMs } };
}
