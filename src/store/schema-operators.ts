/** Tables of operator availability (migration 0014, ADR 0026) and reconciliation (migration 0015, ADR 0027). */

/** What the exchanges cannot tell of an operator's availability: since when, and the probe's lease. */
export interface OperatorHealthTable {
  operator_id: string;
  /** `up`, `degraded` or `down`, as last judged by any instance. */
  status: string;
  /** When that state was first judged. */
  since_ms: number;
  /** Until when the half-open probe belongs to the instance that took it; 0 when none. */
  probe_until_ms: number;
  updated_at_ms: number;
}

/** One imported operator statement. */
export interface ReconciliationImportTable {
  id: string;
  operator_id: string;
  file_name: string;
  /** The column preset the statement was read with (`generic`, …). */
  format: string;
  /** The period the statement covers, inclusive, in ms since the epoch. */
  from_ms: number;
  to_ms: number;
  lines_count: number;
  mismatches_count: number;
  /** JSON object: category to count. */
  summary: string;
  /** The console user, or `cli`. */
  imported_by: string;
  created_at_ms: number;
}

/** One finding of an import: a statement line, or a Cauri transaction the statement lacks. */
export interface ReconciliationLineTable {
  import_id: string;
  seq: number;
  line_no: number | null;
  /** `matched`, `amount_mismatch`, `status_mismatch`, `missing_in_cauri`, `missing_at_operator`. */
  category: string;
  reference: string;
  /** The payin or payout id, when Cauri knows the reference. */
  subject_id: string | null;
  operator_amount_xof: number | null;
  cauri_amount_xof: number | null;
  operator_status: string | null;
  cauri_status: string | null;
  msisdn: string | null;
  occurred_at_ms: number | null;
}
