import type { ValidationMode } from './operators.js';

/**
 * The checkout invoice of a payin through an operator, as the core sees it: the store maps each
 * `invoices` row to this once (src/store/payin-rows.ts), with its channel and validation mode as
 * closed unions.
 */

/** `hosted` (E1, the customer picks the operator on the page) or `direct` (E2). */
export type InvoiceChannel = 'hosted' | 'direct';

export interface Invoice {
  readonly payinId: string;
  readonly channel: InvoiceChannel;
  readonly storeName: string;
  readonly storeWebsiteUrl: string;
  readonly returnUrl: string;
  readonly cancelUrl: string;
  /** The displayed items (`DisplayItem[]`), as the JSON text they were stored as. */
  readonly items: string;
  readonly customerFirstname: string;
  readonly customerLastname: string;
  readonly customerEmail: string;
  /** The normalised `invoice.customer` of a hosted invoice, which filters the page; '' for none. */
  readonly customerFilter: string;
  /** Operator requests made so far; each has the reference `<payin id>.<attempt>`. */
  readonly attempt: number;
  /** The reference of the operator request in flight, or of the last one once the payin is final. */
  readonly reference: string | null;
  /** The validation mode of the request in flight (spec §5). */
  readonly validationMode: ValidationMode | null;
  /** The hold on the sub-account while the request is in flight. */
  readonly pendingTransferId: string | null;
  /** An operator portal URL the customer must visit (operator redirect). */
  readonly redirectUrl: string | null;
  /** What the connector returned to ask about the current attempt later (connector.ts, operatorState). */
  readonly operatorState: string | null;
  /** When the resolver next asks the operator about the request in flight (the pending deadline). */
  readonly resolveAfterMs: number;
  readonly resolveAttempts: number;
  readonly operatorReference: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}
