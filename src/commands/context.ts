import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { OtpPolicy } from '../core/otp.js';
import type { PrefixTable } from '../core/operators.js';
import type { PreviousTokenSecret } from '../core/tokens.js';
import type { OperatorConnector } from '../operators/connector.js';
import type { Database } from '../store/database.js';
import type { SmsProvider } from '../sms/provider.js';
import type { ProjectCache } from './project-cache.js';
import type { Operations } from '../metrics/operations.js';

/**
 * The narrow dependencies a command, worker or route asks for: each function names the ones it
 * uses (`deps: WithDb & WithClock`), so that what it can touch is read off its signature and a
 * test passes only those. The composition root (src/gateway.ts) builds one object that has them all.
 */
export interface WithDb {
  readonly db: Database;
}

export interface WithClock {
  readonly clock: Clock;
}

/** The settings commands read, each picked by name: `WithConfig<'mode' | 'publicUrl'>`. */
export type CommandConfig = Pick<
  Config,
  'mode' | 'publicUrl' | 'otpIssuedPerHourMax' | 'operatorTimeoutMs' | 'pendingDeadlineMs' | 'dispatchLeaseMs'
> & { otp: OtpPolicy };

export interface WithConfig<K extends keyof CommandConfig = keyof CommandConfig> {
  readonly config: Pick<CommandConfig, K>;
}

export interface WithTokens {
  /** Secret that signs transaction tokens. */
  readonly tokenSecret: string;
  /** The secret before a rotation, which still verifies the tokens it signed until its grace ends (ADR 0022). */
  readonly tokenSecretPrevious?: PreviousTokenSecret;
}

export interface WithPrefixes {
  readonly prefixes: PrefixTable;
}

export interface WithConnector {
  readonly connector: OperatorConnector;
}

export interface WithProjectCache {
  /** Recently authenticated projects (ADR 0019); absent, every request reads its project. */
  readonly projects?: ProjectCache;
}

export interface WithOps {
  /** Metrics, worker heartbeats and readiness (ADR 0020); absent, `/metrics` and `/ready` have nothing to report. */
  readonly ops?: Operations;
}

export interface WithSms {
  /**
   * Who delivers wallet OTPs (ADR 0014): an SMPP or HTTP-hook provider in production; undefined
   * in the sandbox, whose "SMS" go to the inbox table (and in production without a provider, where
   * no OTP is issued).
   */
  readonly sms?: SmsProvider;
}

/** Everything at once: only the composition root (src/gateway.ts) and the HTTP app it hands it to hold this. */
export type Gateway = WithDb &
  WithClock &
  WithConfig &
  WithTokens &
  WithPrefixes &
  WithConnector &
  WithProjectCache &
  WithOps &
  WithSms;
