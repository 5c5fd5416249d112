import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_OTP_POLICY, type OtpPolicy } from './core/otp.js';
import { type OpsSettings, opsSettingsOf } from './metrics/ops-config.js';
import {
  CALLBACK_INFLIGHT_MAX_DEFAULT,
  CALLBACK_RECEIVER_CONCURRENCY_DEFAULT,
  CALLBACK_TIMEOUT_MS_DEFAULT,
} from './core/callbacks.js';
import type { RetentionPolicy } from './core/retention.js';
import type { PreviousTokenSecret } from './core/tokens.js';
import { type Parsed, previousTokenSecretOf, retentionPolicyOf } from './config-retention.js';

/** Everything Cauri reads from its environment, parsed and bounded once at start-up. */
export type Mode = 'sandbox' | 'production';

export interface Config {
  mode: Mode;
  host: string;
  port: number;
  /** The URL merchants use to reach this gateway, for printed examples and payment links. */
  publicUrl: string;
  dataDir: string;
  /** A `postgres://` or `postgresql://` URL; undefined for the SQLite file under `dataDir`. */
  databaseUrl: string | undefined;
  /** How long start-up keeps retrying an unreachable database before giving up. */
  databaseConnectTimeoutMs: number;
  /** The operator connectors of production (ADR 0009); ignored by the sandbox, which simulates every operator. */
  connectorsFile: string | undefined;
  /**
   * Lease of a claimed payout or payin query: the holder renews it while its operator call is in
   * flight, so another instance takes the work back this long after the holder died (ADR 0018).
   */
  dispatchLeaseMs: number;
  /** How long an authenticated project is kept in memory; another process's change to it shows within this (ADR 0019). 0: never. */
  authCacheMs: number;
  /** This process's name on the leases it holds (`CAURI_INSTANCE_ID`, else generated at start). */
  instanceId: string;
  /** The environment the settings came from: connector secrets and the SMS provider read it. */
  env: NodeJS.ProcessEnv;
  otp: OtpPolicy;
  /** Bytes a request body may have. */
  bodyLimitBytes: number;
  /**
   * Take the client address from X-Forwarded-For (behind a load balancer); see README: the
   * proxies' addresses, or (sandbox only) `true`, trust every hop.
   */
  trustProxy: boolean | string;
  operatorPrefixesFile: string | undefined;
  /** Signing key for transaction tokens; generated and kept in the database when unset. */
  tokenSecret: string | undefined;
  /** The secret before a rotation and the end of its grace: tokens it signed verify until then (ADR 0022). */
  tokenSecretPrevious: PreviousTokenSecret | undefined;
  /** What the retention worker deletes, and how fast (ADR 0022). */
  retention: RetentionPolicy;
  /** How often the payout dispatcher looks for work it was not told about, in ms. */
  dispatchIntervalMs: number;
  /** How long an operator call may take before it is abandoned and retried. */
  operatorTimeoutMs: number;
  /** Delay the operator simulator adds before answering, in ms. */
  simulatorDelayMs: number;
  /** Most OTPs one phone may receive from one project per hour. */
  otpIssuedPerHourMax: number;
  /** How long an operator payin may stay pending before the resolver asks the operator (ADR 0007). */
  pendingDeadlineMs: number;
  /** How long one callback POST may take, DNS and connection included (ADR 0006). */
  callbackTimeoutMs: number;
  /** Events of one receiver (a callback URL's origin) in delivery at once, across every process (ADR 0017). */
  callbackReceiverConcurrencyMax: number;
  /** Callback deliveries in flight in this process, every receiver together. */
  callbackInflightMax: number;
  /** How often the callback worker looks for due events it was not told about, in ms. */
  callbackIntervalMs: number;
  /** Callbacks may go to private, loopback and link-local addresses in production too (the sandbox always allows them). */
  callbackAllowPrivate: boolean;
  /** Logs and metrics (ADR 0020): `CAURI_LOG_LEVEL`, `CAURI_ACCESS_LOG`, `CAURI_METRICS_TOKEN`. */
  ops: OpsSettings;
}

export class ConfigError extends Error {}

function opsOf(env: NodeJS.ProcessEnv, mode: Mode): OpsSettings {
  const ops = opsSettingsOf(env, mode);
  if (typeof ops === 'string') throw new ConfigError(ops);
  return ops;
}

/** A name for the leases this process holds: configured (bounded, printable), or random per start. */
function instanceIdOf(raw: string | undefined): string {
  if (raw === undefined || raw === '') return `ins_${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(raw))
    throw new ConfigError('CAURI_INSTANCE_ID must be 1 to 64 letters, digits or ._:-');
  return raw;
}

/** The value of a setting parsed elsewhere (config-retention.ts), or its message as a ConfigError. */
function settled<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new ConfigError(parsed.message);
  return parsed.value;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

/**
 * DATABASE_URL selects PostgreSQL; anything else in it is a mistake, not a request for SQLite
 * (a misspelt `postgress://` must not start an empty local database in production).
 */
function databaseUrlOf(raw: string | undefined): string | undefined {
  const url = raw?.trim();
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\/[^\s]+$/.test(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new ConfigError(
      `DATABASE_URL must be a postgres:// or postgresql:// URL${scheme !== undefined ? `, not ${scheme}:` : ''} (unset it and set CAURI_DATA_DIR for SQLite)`,
    );
  }
  return url;
}

/**
 * `CAURI_TRUST_PROXY`: `false` (the default), or a comma-separated list of the proxies' addresses
 * or CIDR ranges (or proxy-addr's `loopback`, `linklocal`, `uniquelocal`): the client address is
 * then the rightmost `X-Forwarded-For` entry not written by a listed proxy. `true` trusts every
 * hop, so the client address is the leftmost entry, which the client writes itself: production
 * refuses it (ADR 0016), since the payout IP allow-list and the sign-in throttle rely on the
 * address. A hop count is refused too: Fastify 5 ignores numbers (it cannot check the peer), and
 * a digit string would be read as an IPv4 address (`1` = 0.0.0.1), trusting nobody in silence.
 */
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxyOf(raw: string | undefined, mode: Mode): boolean | string {
  const trust = raw?.trim();
  if (trust === undefined || trust === '' || trust === 'false') return false;
  if (trust === 'true') {
    if (mode === 'production')
      throw new ConfigError(
        "CAURI_TRUST_PROXY=true trusts a client-written X-Forwarded-For; in production list the proxies' addresses (e.g. 10.0.0.1 or 10.0.0.0/8)",
      );
    return true;
  }
  for (const entry of trust.split(',').map((part) => part.trim())) {
    const [address = '', prefix, extra] = entry.split('/');
    const prefixOk =
      prefix === undefined ||
      (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address) === 6 ? 128 : 32));
    if (!TRUST_PROXY_NAMES.has(entry) && (isIP(address) === 0 || !prefixOk || extra !== undefined)) {
      throw new ConfigError(
        `CAURI_TRUST_PROXY must be false, or the proxies' addresses or CIDR ranges separated by commas (not a hop count), not "${entry}"`,
      );
    }
  }
  return trust;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const modeRaw = (env.CAURI_MODE ?? 'sandbox').toLowerCase();
  if (modeRaw !== 'sandbox' && modeRaw !== 'production')
    throw new ConfigError(`CAURI_MODE must be sandbox or production, not "${modeRaw}"`);
  const mode: Mode = modeRaw;
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST ?? (mode === 'sandbox' ? '127.0.0.1' : '0.0.0.0');
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const tokenSecret = env.CAURI_TOKEN_SECRET;
  if (tokenSecret !== undefined && tokenSecret.length < 32)
    throw new ConfigError('CAURI_TOKEN_SECRET must have at least 32 characters');
  const trustProxy = trustProxyOf(env.CAURI_TRUST_PROXY, mode);
  const databaseUrl = databaseUrlOf(env.DATABASE_URL);
  const dataDirRaw = env.CAURI_DATA_DIR === '' ? undefined : env.CAURI_DATA_DIR;
  // Production never falls back to a database nobody chose (ADR 0009): PostgreSQL by URL, or a
  // single-node SQLite file by an explicit directory.
  if (mode === 'production' && databaseUrl === undefined && dataDirRaw === undefined) {
    throw new ConfigError(
      'production needs DATABASE_URL (PostgreSQL) or, for a single-node SQLite file, an explicit CAURI_DATA_DIR',
    );
  }
  return {
    mode,
    host,
    port,
    publicUrl: (env.CAURI_PUBLIC_URL ?? `http://${shownHost}:${port}`).replace(/\/+$/, ''),
    dataDir: dataDirRaw === ':memory:' ? ':memory:' : path.resolve(dataDirRaw ?? 'data'),
    databaseUrl,
    databaseConnectTimeoutMs: int(env, 'CAURI_DB_CONNECT_TIMEOUT_SECONDS', 30, 0, 600) * 1000,
    connectorsFile: env.CAURI_CONNECTORS_FILE === '' ? undefined : env.CAURI_CONNECTORS_FILE,
    dispatchLeaseMs: int(env, 'CAURI_DISPATCH_LEASE_SECONDS', 5, 1, 3600) * 1000,
    authCacheMs: int(env, 'CAURI_AUTH_CACHE_MS', 1000, 0, 60_000),
    instanceId: instanceIdOf(env.CAURI_INSTANCE_ID),
    env,
    otp: {
      ttlMs: int(env, 'CAURI_OTP_TTL_SECONDS', DEFAULT_OTP_POLICY.ttlMs / 1000, 30, 3600) * 1000,
      attemptsMax: int(env, 'CAURI_OTP_ATTEMPTS_MAX', DEFAULT_OTP_POLICY.attemptsMax, 1, 10),
    },
    bodyLimitBytes: int(env, 'CAURI_BODY_LIMIT_BYTES', 64 * 1024, 1024, 1024 * 1024),
    trustProxy,
    operatorPrefixesFile: env.CAURI_OPERATOR_PREFIXES_FILE,
    tokenSecret,
    tokenSecretPrevious: settled(previousTokenSecretOf(env, Date.now())),
    retention: settled(retentionPolicyOf(env)),
    dispatchIntervalMs: int(env, 'CAURI_DISPATCH_INTERVAL_MS', 1000, 10, 60_000),
    operatorTimeoutMs: int(env, 'CAURI_OPERATOR_TIMEOUT_MS', 15_000, 100, 120_000),
    simulatorDelayMs: int(env, 'CAURI_SIMULATOR_DELAY_MS', 0, 0, 60_000),
    otpIssuedPerHourMax: int(env, 'CAURI_OTP_PER_HOUR_MAX', 10, 1, 1000),
    pendingDeadlineMs: int(env, 'CAURI_PENDING_DEADLINE_SECONDS', 600, 1, 7 * 86_400) * 1000,
    callbackTimeoutMs: int(env, 'CAURI_CALLBACK_TIMEOUT_MS', CALLBACK_TIMEOUT_MS_DEFAULT, 100, 30_000),
    // CAURI_CALLBACK_CONCURRENCY_PER_PROJECT is the deprecated name of the per-receiver limit (ADR 0017).
    callbackReceiverConcurrencyMax:
      env.CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER === undefined ||
      env.CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER === ''
        ? int(env, 'CAURI_CALLBACK_CONCURRENCY_PER_PROJECT', CALLBACK_RECEIVER_CONCURRENCY_DEFAULT, 1, 1000)
        : int(env, 'CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER', CALLBACK_RECEIVER_CONCURRENCY_DEFAULT, 1, 1000),
    callbackInflightMax: int(env, 'CAURI_CALLBACK_INFLIGHT_MAX', CALLBACK_INFLIGHT_MAX_DEFAULT, 1, 10_000),
    callbackIntervalMs: int(env, 'CAURI_CALLBACK_INTERVAL_MS', 1000, 10, 60_000),
    callbackAllowPrivate: env.CAURI_CALLBACK_ALLOW_PRIVATE === '1',
    ops: opsOf(env, mode),
  };
}
