import type { Config } from '../config.js';
import type { OtpPolicy } from '../core/otp.js';
import type { PrefixTable } from '../core/operators.js';
import type { PreviousTokenSecret } from '../core/tokens.js';
import type { OperatorConnector } from '../operators/connector.js';
import type { Database } from '../store/database.js';
import type { SmsProvider } from '../sms/provider.js';
import type { ProjectCache } from './project-cache.js';
import type { Operations } from '../metrics/operations.js';

/** What every command needs, passed explicitly so that tests can swap the clock and the operator. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export interface Gateway {
  readonly db: Database;
  readonly config: Pick<
    Config,
    | 'mode'
    | 'publicUrl'
    | 'otpIssuedPerHourMax'
    | 'operatorTimeoutMs'
    | 'pendingDeadlineMs'
    | 'dispatchLeaseMs'
  > & { otp: OtpPolicy };
  readonly clock: Clock;
  readonly prefixes: PrefixTable;
  readonly connector: OperatorConnector;
  /** Secret that signs transaction tokens. */
  readonly tokenSecret: string;
  /** The secret before a rotation, which still verifies the tokens it signed until its grace ends (ADR 0022). */
  readonly tokenSecretPrevious?: PreviousTokenSecret;
  /** Recently authenticated projects (ADR 0019); absent, every request reads its project. */
  readonly projects?: ProjectCache;
  /** Metrics, worker heartbeats and readiness (ADR 0020); absent, `/metrics` and `/ready` have nothing to report. */
  readonly ops?: Operations;
  /**
   * Who delivers wallet OTPs (ADR 0014): an SMPP or HTTP-hook provider in production; undefined
   * in the sandbox, whose "SMS" go to the inbox table (and in production without a provider, where
   * no OTP is issued).
   */
  readonly sms?: SmsProvider;
}
