export {
  CauriClient,
  type CauriClientOptions,
  DEFAULT_TIMEOUT_MS,
  LIGDICASH_LIVE_URL,
  businessError,
  customDataObject,
  wireStatus,
} from './client.js';
export {
  BULK_PAYOUT_ITEMS_MAX,
  type BulkItemResult,
  type BulkItemStatus,
  type BulkPayoutCreated,
  type BulkPayoutInput,
  type BulkPayoutItemInput,
  type BulkPayoutStatus,
} from './bulk.js';
export {
  type Balances,
  type EntryKind,
  STATEMENT_LIMIT_MAX,
  type StatementEntry,
  type StatementPage,
  type StatementQuery,
  type SubaccountBalance,
} from './money.js';
export {
  type PayinRefunds,
  type Refund,
  type RefundCallback,
  type RefundInput,
  type RefundMethod,
  type RefundStatus,
  parseRefundCallback,
} from './refunds.js';
export {
  ERROR_CODE_PATTERN,
  ERROR_MEANINGS,
  type ErrorFamily,
  errorMeaning,
  extractErrorCode,
} from './codes.js';
export type { OperatorAvailability, OperatorStatus, OperatorsAvailability } from './operators.js';
export {
  type Callback,
  type CallbackEncoding,
  type ConfirmedCallback,
  type HeaderSource,
  type SignatureFailure,
  type VerifyOptions,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookDeduplicator,
  confirmCallback,
  parseCallback,
  verifySignature,
} from './callbacks.js';
export type * from './types.js';
