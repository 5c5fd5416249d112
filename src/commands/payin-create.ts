import {
  type DisplayItem,
  INVOICE_MAX_XOF,
  INVOICE_MIN_XOF,
  invoiceAmountInRange,
  offeredOperators,
  operatorAccepts,
} from '../core/checkout.js';
import type { Invoice } from '../core/invoice.js';
import { type Operator, operatorForPhone } from '../core/operators.js';
import type { Payin } from '../core/payin.js';
import { normalizePhone } from '../core/phone.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { connectorServes } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { insertInvoice, insertPayin } from '../store/payins.js';
import type { WithConnector, WithPrefixes, WithTokens } from './context.js';
import {
  type Attempt,
  type AttemptDeps,
  type PayinChannel,
  payinOperatorIds,
  startAttempt,
} from './payin-attempt.js';
import { newPayin } from './payin-row.js';
import type { PayinRequest } from './payin-wallet.js';
import type { Project } from '../core/project.js';
import { requestStamp } from './request-context.js';

/**
 * Creating a payin through a mobile-money operator (spec §2.1, §2.2): the hosted checkout invoice
 * (E1), on whose page the customer picks an operator, and the direct payin (E2), whose operator
 * comes from the customer's number and whose first attempt starts in the same transaction.
 */
export interface CheckoutRequest extends PayinRequest {
  storeName: string;
  storeWebsiteUrl: string;
  returnUrl: string;
  cancelUrl: string;
  items: DisplayItem[];
  customerFirstname: string;
  customerLastname: string;
  customerEmail: string;
}

/** What creating a payin needs. */
export type CreateDeps = AttemptDeps & WithTokens & WithPrefixes & WithConnector;

function amountError(): Result<never> {
  return fail('amount_out_of_range', `amount must be between ${INVOICE_MIN_XOF} and ${INVOICE_MAX_XOF}`);
}

function newInvoice(
  payin: Payin,
  input: CheckoutRequest,
  channel: PayinChannel,
  customerFilter: string,
  nowMs: number,
): Invoice {
  return {
    payinId: payin.id,
    channel,
    storeName: input.storeName,
    storeWebsiteUrl: input.storeWebsiteUrl,
    returnUrl: input.returnUrl,
    cancelUrl: input.cancelUrl,
    items: JSON.stringify(input.items),
    customerFirstname: input.customerFirstname,
    customerLastname: input.customerLastname,
    customerEmail: input.customerEmail,
    customerFilter,
    attempt: 0,
    reference: null,
    validationMode: null,
    pendingTransferId: null,
    redirectUrl: null,
    operatorState: null,
    resolveAfterMs: nowMs,
    resolveAttempts: 0,
    operatorReference: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
}

/** The operator of a customer number, checked against the project and the amount. */
function operatorFor(
  deps: WithPrefixes & WithConnector,
  project: Project,
  phone: string,
  amountXof: PayinRequest['amountXof'],
): Result<Operator> {
  const operator = operatorForPhone(phone, deps.prefixes);
  if (!operator) return fail('operator_not_identified', `No operator serves ${phone}`);
  if (!project.operatorIds.includes(operator.id))
    return fail('operator_not_enabled', `${operator.name} is not enabled for this project`);
  if (!connectorServes(deps.connector, operator.id, 'debit'))
    return fail('operator_unavailable', `${operator.name} is not available on this gateway`);
  if (!operatorAccepts(operator, amountXof)) {
    return fail(
      'amount_out_of_range',
      `${operator.name} accepts ${operator.payinMinXof} to ${operator.payinMaxXof} XOF`,
    );
  }
  return ok(operator);
}

/** E1: the invoice and its payment page; no operator yet, so no money at stake. */
export async function createHostedInvoice(
  deps: CreateDeps,
  tx: Tx,
  project: Project,
  input: CheckoutRequest,
): Promise<Result<Payin>> {
  if (!project.payinEnabled) return fail('payin_disabled');
  if (!invoiceAmountInRange(input.amountXof)) return amountError();
  let phone: string | null = null;
  if (input.customer !== '') {
    // A number in `invoice.customer` filters the page to its operator (spec §2.1, §2.10).
    phone = normalizePhone(input.customer) ?? null;
    if (phone === null) return fail('invalid_phone');
    const operator = operatorFor(deps, project, phone, input.amountXof);
    if (!operator.ok) return operator;
  } else if (offeredOperators(payinOperatorIds(deps, project), input.amountXof, undefined).length === 0) {
    return offeredOperators(project.operatorIds, input.amountXof, undefined).length === 0
      ? fail('operator_not_enabled', 'No operator enabled for this project accepts this amount')
      : fail('operator_unavailable', 'No operator enabled for this project is available on this gateway');
  }
  const nowMs = deps.clock.nowMs();
  const payin = newPayin(deps, project, {
    kind: 'hosted',
    status: 'pending',
    customer: null,
    operatorId: null,
    input,
    nowMs,
  });
  await insertPayin(tx, payin, requestStamp(tx));
  await insertInvoice(tx, newInvoice(payin, input, 'hosted', phone ?? '', nowMs));
  return ok(payin);
}

/** E2: the payin, the invoice and the first operator request's intent, in one transaction. */
export async function createDirectPayin(
  deps: CreateDeps,
  tx: Tx,
  project: Project,
  input: CheckoutRequest,
): Promise<Result<Attempt>> {
  if (!project.payinEnabled) return fail('payin_disabled');
  if (!invoiceAmountInRange(input.amountXof)) return amountError();
  const phone = normalizePhone(input.customer);
  if (phone === undefined)
    return fail('invalid_phone', 'invoice.customer must be the payer number with its country code');
  const operator = operatorFor(deps, project, phone, input.amountXof);
  if (!operator.ok) return operator;
  if (operator.value.validationMode === 'ussd_otp' && input.otp === '') return fail('otp_missing');
  const nowMs = deps.clock.nowMs();
  const payin = newPayin(deps, project, {
    kind: 'direct',
    status: 'pending',
    customer: phone,
    operatorId: operator.value.id,
    input,
    nowMs,
  });
  const stamp = requestStamp(tx);
  const invoice = newInvoice(payin, input, 'direct', phone, nowMs);
  await insertPayin(tx, payin, stamp);
  await insertInvoice(tx, invoice);
  return ok(
    await startAttempt(deps, tx, {
      project,
      payin,
      invoice,
      operator: operator.value,
      phone,
      otp: input.otp,
    }),
  );
}
