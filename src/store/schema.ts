import type { Generated } from 'kysely';
import type { PayoutBatchItemTable, PayoutBatchTable } from './schema-bulk.js';
import type {
  OperatorHealthTable,
  ReconciliationImportTable,
  ReconciliationLineTable,
} from './schema-operators.js';
import type { RefundTable } from './schema-refunds.js';
import type {
  ConsoleAuditTable,
  ConsoleSessionTable,
  ConsoleUserTable,
  InvoiceTable,
  SimDebitTable,
  SimUssdCodeTable,
} from './schema-payin-surface.js';

/**
 * Table types for Kysely. Column names carry units (`amount_xof`, `created_at_ms`); booleans are
 * 0/1 integers and JSON is text, so that one schema serves SQLite and PostgreSQL alike.
 */
export interface ProjectTable {
  id: string;
  name: string;
  apikey: string;
  /** SHA-256 of the API token (hex); the token itself is shown once and never stored. */
  token_hash: string;
  payin_enabled: number;
  payout_enabled: number;
  /** JSON array of up to 3 IP addresses; empty means payouts are refused (spec §1.4). */
  allowed_ips: string;
  /** JSON array of enabled operator ids. */
  operator_ids: string;
  callback_url: string;
  created_at_ms: number;
  /** `ligdicash` (JSON and form POSTs) or `json` (JSON only); ADR 0006. */
  callback_mode: string;
  /** Standard Webhooks `whsec_…` secret that signs callbacks, stored as is: it must be readable to sign (ADR 0006). */
  webhook_secret: string;
  /** The secret before the last rotation, which still signs for a day so that receivers can switch. */
  webhook_secret_previous: string | null;
  webhook_secret_rotated_at_ms: number | null;
}

export interface AccountTable {
  id: string;
  kind: string;
  project_id: string | null;
  operator_id: string | null;
  phone: string | null;
  holder_name: string | null;
  must_not_overdraw: number;
  debits_posted_xof: number;
  credits_posted_xof: number;
  debits_pending_xof: number;
  credits_pending_xof: number;
  created_at_ms: number;
}

export interface TransferTable {
  id: string;
  kind: string;
  pending_id: string | null;
  debit_account_id: string;
  credit_account_id: string;
  amount_xof: number;
  /** Why the money moved: `wallet_payment`, `payout`, `funding`, … */
  reason: string;
  /** The payin or payout this transfer belongs to, if any. */
  subject_id: string | null;
  created_at_ms: number;
  /** Order of application to any one account (migration 0017, ADR 0023); assigned by the database. */
  seq?: number;
  /** Posted balance (credits minus debits) of the debit account once this transfer applied. */
  debit_balance_after_xof?: number | null;
  /** Posted balance of the credit account once this transfer applied. */
  credit_balance_after_xof?: number | null;
}

export interface PayinTable {
  id: string;
  /** The digits inside the token's `id_invoice`. */
  number: string;
  token: string;
  project_id: string;
  request_id: string;
  kind: string;
  status: string;
  /**
   * The stamp of the HTTP request whose command last wrote the row, `<request id>#<n>` (migration
   * 0011, src/commands/request-context.ts); the history triggers copy its request part.
   */
  last_request_id?: string | null;
  amount_xof: number;
  customer: string | null;
  operator_id: string | null;
  description: string;
  custom_data: string;
  external_id: string;
  merchant_transaction_id: string | null;
  callback_url: string;
  logfile: string;
  hash: string;
  status_reason: string | null;
  /** The code of `status_reason` (migration 0019): a `PayinReasonCode` (src/core/payin.ts). */
  status_reason_code?: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  /** The sum of the payin's refunds that have not failed (migration 0012); never above `amount_xof`. */
  refunded_xof?: number;
}

export interface PayoutTable {
  id: string;
  number: string;
  token: string;
  project_id: string;
  request_id: string;
  /** `customer` (withdrawal/create) or `merchant` (straight/payout). */
  kind: string;
  top_up_wallet: number;
  status: string;
  amount_xof: number;
  customer: string;
  operator_id: string;
  description: string;
  custom_data: string;
  external_id: string;
  merchant_transaction_id: string | null;
  callback_url: string;
  logfile: string;
  hash: string;
  /** The hold on the merchant's sub-account while the operator transfer is in flight. */
  pending_transfer_id: string | null;
  /** `none`, `queued`, `sent`, `done`: where the onward operator transfer stands. */
  dispatch_state: string;
  dispatch_attempts: number;
  dispatch_after_ms: number;
  /**
   * The instance holding the payout's lease while its operator call is in flight (ADR 0018); null
   * when none. Optional so that a payout is created without naming it (nobody holds a new payout).
   */
  dispatch_owner?: string | null;
  /** As a payin's: the stamp of the request that last wrote the row (migration 0011). */
  last_request_id?: string | null;
  operator_reference: string | null;
  status_reason: string | null;
  /** The code of `status_reason` (migration 0019): a `PayoutReasonCode` (src/core/payout.ts). */
  status_reason_code?: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface OtpTable {
  project_id: string;
  phone: string;
  code_hash: string;
  amount_xof: number;
  expires_at_ms: number;
  attempts: number;
  /** OTPs issued to this phone for this project since `window_started_at_ms` (issuance is capped). */
  issued_in_window: number;
  window_started_at_ms: number;
  created_at_ms: number;
}

export interface SmsTable {
  id: string;
  phone: string;
  body: string;
  created_at_ms: number;
}

export interface OutboxTable {
  id: string;
  project_id: string;
  event_type: string;
  subject_type: string;
  subject_id: string;
  /** `pending`, `delivering` (claimed; `next_attempt_at_ms` is then the lease's end), `delivered`, `failed`. */
  status: string;
  /** Delivery attempts ever claimed, resends included; numbers the rows of `callback_attempts`. */
  attempts: number;
  next_attempt_at_ms: number;
  created_at_ms: number;
  /** Attempts of the current delivery cycle (a resend starts a new one); indexes the retry schedule. */
  cycle_attempts: number;
  /** Who holds the claim: a worker records its outcome only while this is still its lease. */
  lease_id: string | null;
  delivered_at_ms: number | null;
  /** The origin of the URL of the event's last claim (ADR 0017); null until first claimed. */
  receiver: string | null;
}

/** One POST of one delivery attempt (ADR 0006). */
export interface CallbackAttemptTable {
  event_id: string;
  attempt: number;
  /** `json` or `form`. */
  encoding: string;
  project_id: string;
  url: string;
  started_at_ms: number;
  latency_ms: number;
  /** The HTTP status, or null when no answer came (then `error` says why). */
  http_status: number | null;
  error: string | null;
  /** At most 512 bytes of the answer. */
  response_excerpt: string;
}

export interface IdempotencyTable {
  project_id: string;
  idempotency_key: string;
  endpoint: string;
  request_hash: string;
  response: string;
  created_at_ms: number;
}

export interface SettingTable {
  key: string;
  value: string;
}

/**
 * One state change of a payin or payout (migration 0005), written by database triggers in the
 * transaction of the change itself; `seq` orders a transaction's story.
 */
export interface TransactionEventTable {
  seq: Generated<number>;
  subject_id: string;
  /** `payin` or `payout`. */
  subject_type: string;
  project_id: string;
  status: string;
  /** The row's `status_reason` after the change. */
  reason: string | null;
  /** The payout's `dispatch_state` after the change; null for payins. */
  dispatch_state: string | null;
  /** The row's `updated_at_ms` after the change. */
  at_ms: number;
  /** The HTTP request (`X-Request-Id`) whose command made the change; null for a worker's (migration 0011). */
  request_id: string | null;
}

/** One call to an operator, or one genuine notification from one (src/operators/recording-connector.ts). */
export interface OperatorExchangeTable {
  id: string;
  /** The payin or payout the reference belongs to. */
  subject_id: string | null;
  reference: string;
  operator_id: string;
  /** `credit`, `debit`, `status` or `notification`. */
  action: string;
  /** JSON of what was asked, secrets masked, at most 2,048 characters (cut, then no longer JSON). */
  request: string;
  /** JSON of the answer, or of the error; at most 2,048 characters. */
  outcome: string;
  error: string | null;
  started_at_ms: number;
  latency_ms: number;
  /** 'intent' from just before the call until its outcome is written ('outcome'); an intent left behind is a call cut by a crash. */
  phase: string;
}

export interface DB {
  projects: ProjectTable;
  accounts: AccountTable;
  transfers: TransferTable;
  payins: PayinTable;
  payouts: PayoutTable;
  otps: OtpTable;
  sms: SmsTable;
  otp_deliveries: OtpDeliveryTable;
  outbox: OutboxTable;
  callback_attempts: CallbackAttemptTable;
  idempotency: IdempotencyTable;
  settings: SettingTable;
  invoices: InvoiceTable;
  sim_debits: SimDebitTable;
  sim_ussd_codes: SimUssdCodeTable;
  sim_credits: SimCreditTable;
  transaction_events: TransactionEventTable;
  operator_exchanges: OperatorExchangeTable;
  console_users: ConsoleUserTable;
  console_sessions: ConsoleSessionTable;
  console_audit: ConsoleAuditTable;
  refunds: RefundTable;
  payout_batches: PayoutBatchTable;
  payout_batch_items: PayoutBatchItemTable;
  operator_health: OperatorHealthTable;
  reconciliation_imports: ReconciliationImportTable;
  reconciliation_lines: ReconciliationLineTable;
}

/** The SMS that carried one wallet OTP (ADR 0014); never the code itself. */
/** A credit (payout) as the sandbox's simulated operator received it (migration 0018; sandbox only). */
export interface SimCreditTable {
  /** Cauri's reference for the credit; the operator's idempotency key. */
  reference: string;
  operator_id: string;
  phone: string;
  amount_xof: number;
  created_at_ms: number;
}

export interface OtpDeliveryTable {
  id: string;
  project_id: string;
  phone: string;
  /** `inbox` (sandbox), `smpp` or `http`. */
  provider: string;
  /** `queued`, `submitted`, `delivered`, `failed` (never taken) or `undeliverable` (taken, not delivered). */
  state: string;
  provider_message_id: string | null;
  attempts: number;
  error: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}
