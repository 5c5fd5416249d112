import type { Config } from '../config.js';
import type { OtpPolicy } from '../core/otp.js';
import type { PrefixTable } from '../core/operators.js';
import type { OperatorConnector } from '../operators/connector.js';
import type { Database } from '../store/database.js';

/** What every command needs, passed explicitly so that tests can swap the clock and the operator. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export interface Gateway {
  readonly db: Database;
  readonly config: Pick<Config, 'mode' | 'publicUrl' | 'otpIssuedPerHourMax' | 'operatorTimeoutMs' | 'pendingDeadlineMs' | 'dispatchLeaseMs'> & { otp: OtpPolicy };
  readonly clock: Clock;
  readonly prefixes: PrefixTable;
  readonly connector: OperatorConnector;
  /** Secret that signs transaction tokens. */
  readonly tokenSecret: string;
  /** Called after a commit that queued operator work, so the dispatcher need not wait for its timer. */
  readonly onDispatchQueued: () => void;
}
