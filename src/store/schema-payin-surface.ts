/**
 * Tables of the payin surface (migration 0003, ADR 0007): the checkout invoice behind every payin
 * made through an operator (hosted page or direct), and the simulated operators' own back office.
 */

/** One row per payin created by `redirect/` or `straight/checkout-invoice/create`. */
export interface InvoiceTable {
  payin_id: string;
  /** `hosted` (E1, the customer picks the operator on the page) or `direct` (E2). */
  channel: string;
  store_name: string;
  store_website_url: string;
  return_url: string;
  cancel_url: string;
  /** JSON array of `{name, description, quantity, unit_price, total_price}` as displayed. */
  items: string;
  customer_firstname: string;
  customer_lastname: string;
  customer_email: string;
  /** The normalised `invoice.customer` of a hosted invoice, which filters the page; '' for none. */
  customer_filter: string;
  /** Operator requests made so far; each has the reference `<payin id>.<attempt>`. */
  attempt: number;
  /** The reference of the operator request in flight, or of the last one once the payin is final. */
  reference: string | null;
  /** The validation mode of the request in flight (spec §5). */
  validation_mode: string | null;
  /** The hold on the sub-account while the request is in flight. */
  pending_transfer_id: string | null;
  /** An operator portal URL the customer must visit (operator redirect). */
  redirect_url: string | null;
  /** What the connector returned to ask about the current attempt later (connector.ts, OPERATOR_STATE_CHARS_MAX). */
  operator_state: string | null;
  /** When the resolver next asks the operator about the request in flight (the pending deadline). */
  resolve_after_ms: number;
  resolve_attempts: number;
  operator_reference: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** A debit request as the simulated operator sees it (its own records, not Cauri's). */
export interface SimDebitTable {
  /** Short id shown to people: `PSH` and 8 digits. */
  id: string;
  /** Cauri's reference for the request; the operator's idempotency key. */
  reference: string;
  operator_id: string;
  phone: string;
  amount_xof: number;
  /** `otp`, `push`, `guided`, `app`, `portal` or `magic` (decided by a magic number). */
  kind: string;
  /** `pending`, `completed` or `failed`. */
  status: string;
  reason: string | null;
  operator_reference: string;
  merchant_name: string;
  description: string;
  return_url: string;
  created_at_ms: number;
  decided_at_ms: number | null;
}

/** A payment code a customer obtained by dialling the operator's USSD code (USSD OTP mode). */
export interface SimUssdCodeTable {
  phone: string;
  operator_id: string;
  code_hash: string;
  expires_at_ms: number;
  attempts: number;
  created_at_ms: number;
}

/** An operator who signs in to the console (migration 0006, ADR 0008). */
export interface ConsoleUserTable {
  id: string;
  username: string;
  /** `scrypt$…` (src/core/password.ts); the password itself is never stored. */
  password_hash: string;
  /** Failed sign-ins in a row; reaching the limit locks the account. */
  failed_attempts: number;
  locked_until_ms: number | null;
  created_at_ms: number;
  password_changed_at_ms: number;
  last_sign_in_at_ms: number | null;
}

export interface ConsoleSessionTable {
  /** SHA-256 (hex) of the session cookie's value. */
  id_hash: string;
  user_id: string;
  created_at_ms: number;
  last_seen_at_ms: number;
  /** The absolute end of the session, whatever the activity. */
  expires_at_ms: number;
  ip: string;
  user_agent: string;
}

/** One thing an operator did in the console, or a sign-in attempt. */
export interface ConsoleAuditTable {
  id: string;
  at_ms: number;
  username: string;
  action: string;
  target: string;
  detail: string;
  ip: string;
}
