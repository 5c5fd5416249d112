import { assert } from '../core/assert.js';
import {
  type DisplayItem,
  INVOICE_ATTEMPTS_MAX,
  INVOICE_MAX_XOF,
  INVOICE_MIN_XOF,
  invoiceAmountInRange,
  offeredOperators,
  operatorAccepts,
  paymentPageUrl,
  resolveDelayMs,
  RESOLVE_QUERIES_REVIEW,
} from '../core/checkout.js';
import { accountIds } from '../core/ledger.js';
import { type Operator, operatorById, operatorForPhone } from '../core/operators.js';
import { normalizePhone } from '../core/phone.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import {
  type DebitOutcome,
  type DebitRefusal,
  type DebitRequest,
  OPERATOR_STATE_CHARS_MAX,
  type OperatorOutcome,
  connectorServes,
} from '../operators/connector.js';
import type { Database, Tx } from '../store/database.js';
import { ensureAccount, postTransfers } from '../store/ledger-store.js';
import type { InvoiceTable } from '../store/schema-payin-surface.js';
import type { PayinTable } from '../store/schema.js';
import type { Clock } from '../core/clock.js';
import type { Gateway } from './context.js';
import { enqueueEvent } from './outbox.js';
import { newPayinRow } from './payin-row.js';
import { requestStamp } from './request-context.js';
import type { PayinRequest } from './payin-wallet.js';
import { type Project, toProject } from './projects.js';

/**
 * Payins through a mobile-money operator (spec §2.1, §2.2, §6.1, §6.2; ADR 0007): the hosted
 * checkout invoice (E1), on whose page the customer picks an operator, and the direct payin (E2),
 * whose operator comes from the customer's number.
 *
 * Each operator request is an *attempt* with its own reference `<payin id>.<n>`. Starting one is a
 * command: the payin's operator and customer, and a hold — a pending transfer from the operator's
 * settlement account to the project's sub-account for that operator, created on first use (spec
 * §1.6). The operator is then called with no transaction open, and what it answers is recorded by
 * another command: success posts the hold, failure voids it, and the final status, its callback
 * event and the ledger change commit together. Recording is idempotent: an operator that reports
 * twice finds the payin final and changes nothing.
 */
export type PayinChannel = 'hosted' | 'direct';

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

/** An operator request ready to be sent, once its intent has committed. */
export interface Attempt {
  payinId: string;
  token: string;
  channel: PayinChannel;
  mode: Operator['validationMode'];
  request: DebitRequest;
}

/** What the settlement commands need: the gateway, or the CLI's smaller context. */
export interface SettleDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly config: { readonly pendingDeadlineMs: number };
}

function amountError(): Result<never> {
  return fail('amount_out_of_range', `amount must be between ${INVOICE_MIN_XOF} and ${INVOICE_MAX_XOF}`);
}

function newPayin(
  gw: Gateway,
  project: Project,
  input: CheckoutRequest,
  kind: PayinChannel,
  nowMs: number,
  operator: Operator | undefined,
  customer: string | null,
): PayinTable {
  return newPayinRow(gw, project, {
    kind,
    status: 'pending',
    customer,
    operatorId: operator?.id ?? null,
    input,
    nowMs,
  });
}

function newInvoice(
  payin: PayinTable,
  input: CheckoutRequest,
  channel: PayinChannel,
  customerFilter: string,
  nowMs: number,
): InvoiceTable {
  return {
    payin_id: payin.id,
    channel,
    store_name: input.storeName,
    store_website_url: input.storeWebsiteUrl,
    return_url: input.returnUrl,
    cancel_url: input.cancelUrl,
    items: JSON.stringify(input.items),
    customer_firstname: input.customerFirstname,
    customer_lastname: input.customerLastname,
    customer_email: input.customerEmail,
    customer_filter: customerFilter,
    attempt: 0,
    reference: null,
    validation_mode: null,
    pending_transfer_id: null,
    redirect_url: null,
    operator_state: null,
    resolve_after_ms: nowMs,
    resolve_attempts: 0,
    operator_reference: null,
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
  };
}

/**
 * The project's operators a payin can go through: enabled for the project and, in production,
 * served by a connector (ADR 0009). The payment page offers only these.
 */
export function payinOperatorIds(gw: Pick<Gateway, 'connector'>, project: Project): string[] {
  return project.operatorIds.filter((id) => connectorServes(gw.connector, id, 'debit'));
}

/** The operator of a customer number, checked against the project and the amount. */
function operatorFor(
  gw: Gateway,
  project: Project,
  phone: string,
  amountXof: PayinRequest['amountXof'],
): Result<Operator> {
  const operator = operatorForPhone(phone, gw.prefixes);
  if (!operator) return fail('operator_not_identified', `No operator serves ${phone}`);
  if (!project.operatorIds.includes(operator.id))
    return fail('operator_not_enabled', `${operator.name} is not enabled for this project`);
  if (!connectorServes(gw.connector, operator.id, 'debit'))
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
  gw: Gateway,
  tx: Tx,
  project: Project,
  input: CheckoutRequest,
): Promise<Result<PayinTable>> {
  if (!project.payinEnabled) return fail('payin_disabled');
  if (!invoiceAmountInRange(input.amountXof)) return amountError();
  let phone: string | null = null;
  if (input.customer !== '') {
    // A number in `invoice.customer` filters the page to its operator (spec §2.1, §2.10).
    phone = normalizePhone(input.customer) ?? null;
    if (phone === null) return fail('invalid_phone');
    const operator = operatorFor(gw, project, phone, input.amountXof);
    if (!operator.ok) return operator;
  } else if (offeredOperators(payinOperatorIds(gw, project), input.amountXof, undefined).length === 0) {
    return offeredOperators(project.operatorIds, input.amountXof, undefined).length === 0
      ? fail('operator_not_enabled', 'No operator enabled for this project accepts this amount')
      : fail('operator_unavailable', 'No operator enabled for this project is available on this gateway');
  }
  const nowMs = gw.clock.nowMs();
  const payin = newPayin(gw, project, input, 'hosted', nowMs, undefined, null);
  payin.last_request_id = requestStamp(tx);
  await tx.insertInto('payins').values(payin).execute();
  await tx
    .insertInto('invoices')
    .values(newInvoice(payin, input, 'hosted', phone ?? '', nowMs))
    .execute();
  return ok(payin);
}

/** E2: the payin, the invoice and the first operator request's intent, in one transaction. */
export async function createDirectPayin(
  gw: Gateway,
  tx: Tx,
  project: Project,
  input: CheckoutRequest,
): Promise<Result<Attempt>> {
  if (!project.payinEnabled) return fail('payin_disabled');
  if (!invoiceAmountInRange(input.amountXof)) return amountError();
  const phone = normalizePhone(input.customer);
  if (phone === undefined)
    return fail('invalid_phone', 'invoice.customer must be the payer number with its country code');
  const operator = operatorFor(gw, project, phone, input.amountXof);
  if (!operator.ok) return operator;
  if (operator.value.validationMode === 'ussd_otp' && input.otp === '') return fail('otp_missing');
  const nowMs = gw.clock.nowMs();
  const payin = newPayin(gw, project, input, 'direct', nowMs, operator.value, phone);
  payin.last_request_id = requestStamp(tx);
  const invoice = newInvoice(payin, input, 'direct', phone, nowMs);
  await tx.insertInto('payins').values(payin).execute();
  await tx.insertInto('invoices').values(invoice).execute();
  return ok(await startAttempt(gw, tx, project, payin, invoice, operator.value, phone, input.otp));
}

export interface PageChoice {
  operatorId: string;
  phone: string;
  otp: string;
}

export type ChoiceError =
  | 'operator_unavailable'
  | 'phone_invalid'
  | 'phone_mismatch'
  | 'otp_missing'
  | 'too_many_attempts'
  | 'busy'
  | 'final';

/**
 * The customer chose an operator and entered a number on the payment page: the attempt's intent
 * commits here. Failures are page messages, not LigdiCash codes.
 */
export async function beginHostedAttempt(
  gw: Gateway,
  tx: Tx,
  payinId: string,
  choice: PageChoice,
): Promise<{ ok: true; attempt: Attempt } | { ok: false; error: ChoiceError }> {
  const payin = await lockPayin(tx, gw.db, payinId);
  const invoice = await tx
    .selectFrom('invoices')
    .selectAll()
    .where('payin_id', '=', payinId)
    .executeTakeFirstOrThrow();
  if (payin.status !== 'pending') return { ok: false, error: 'final' };
  if (invoice.reference !== null) return { ok: false, error: 'busy' };
  if (invoice.attempt >= INVOICE_ATTEMPTS_MAX) return { ok: false, error: 'too_many_attempts' };
  const projectRow = await tx
    .selectFrom('projects')
    .selectAll()
    .where('id', '=', payin.project_id)
    .executeTakeFirstOrThrow();
  const project = toProject(projectRow);
  const amountXof = Number(payin.amount_xof) as PayinRequest['amountXof'];
  const filter =
    invoice.customer_filter !== '' ? operatorForPhone(invoice.customer_filter, gw.prefixes) : undefined;
  const operator = offeredOperators(payinOperatorIds(gw, project), amountXof, filter).find(
    (op) => op.id === choice.operatorId,
  );
  if (!operator || !project.payinEnabled) return { ok: false, error: 'operator_unavailable' };
  const phone = normalizePhone(choice.phone);
  if (phone === undefined) return { ok: false, error: 'phone_invalid' };
  if (operatorForPhone(phone, gw.prefixes)?.id !== operator.id) return { ok: false, error: 'phone_mismatch' };
  if (invoice.customer_filter !== '' && phone !== invoice.customer_filter)
    return { ok: false, error: 'phone_mismatch' };
  if (operator.validationMode === 'ussd_otp' && choice.otp.trim() === '')
    return { ok: false, error: 'otp_missing' };
  return {
    ok: true,
    attempt: await startAttempt(gw, tx, project, payin, invoice, operator, phone, choice.otp.trim()),
  };
}

async function startAttempt(
  gw: Gateway,
  tx: Tx,
  project: Project,
  payin: PayinTable,
  invoice: InvoiceTable,
  operator: Operator,
  phone: string,
  otp: string,
): Promise<Attempt> {
  const nowMs = gw.clock.nowMs();
  const subaccountId = accountIds.subaccount(project.id, operator.id);
  const settlementId = accountIds.settlement(operator.id);
  // The sub-account appears with the project's first transaction on the operator (spec §1.6).
  await ensureAccount(
    tx,
    {
      id: subaccountId,
      kind: 'subaccount',
      projectId: project.id,
      operatorId: operator.id,
      mustNotOverdraw: true,
    },
    nowMs,
  );
  await ensureAccount(
    tx,
    { id: settlementId, kind: 'settlement', operatorId: operator.id, mustNotOverdraw: false },
    nowMs,
  );
  const amountXof = Number(payin.amount_xof) as PayinRequest['amountXof'];
  const hold = await postTransfers(
    tx,
    gw.db.dialect,
    [
      {
        kind: 'pending',
        debitAccountId: settlementId,
        creditAccountId: subaccountId,
        amountXof,
        reason: 'payin_hold',
        subjectId: payin.id,
      },
    ],
    nowMs,
  );
  assert(
    hold.ok && hold.transfers[0] !== undefined,
    'a payin hold debits a settlement account, which may go negative',
  );
  const attempt = invoice.attempt + 1;
  const reference = `${payin.id}.${attempt}`;
  await tx
    .updateTable('invoices')
    .set({
      attempt,
      reference,
      validation_mode: operator.validationMode,
      pending_transfer_id: hold.transfers[0].id,
      redirect_url: null,
      operator_state: null,
      resolve_after_ms: nowMs + gw.config.pendingDeadlineMs,
      resolve_attempts: 0,
      updated_at_ms: nowMs,
    })
    .where('payin_id', '=', payin.id)
    .execute();
  await tx
    .updateTable('payins')
    .set({
      operator_id: operator.id,
      customer: phone,
      status_reason: `awaiting ${operator.name}`,
      updated_at_ms: nowMs,
      last_request_id: requestStamp(tx),
    })
    .where('id', '=', payin.id)
    .execute();
  return {
    payinId: payin.id,
    token: payin.token,
    channel: invoice.channel === 'hosted' ? 'hosted' : 'direct',
    mode: operator.validationMode,
    request: {
      reference,
      operatorId: operator.id,
      phone,
      amountXof,
      otp: operator.validationMode === 'ussd_otp' ? otp : '',
      merchantName: invoice.store_name !== '' ? invoice.store_name : project.name,
      description: payin.description,
      returnUrl: paymentPageUrl(gw.config.publicUrl, payin.token),
    },
  };
}

/** Reads a payin for change: on PostgreSQL its row is locked, serialising every settler of it. */
export async function lockPayin(tx: Tx, db: Pick<Database, 'dialect'>, payinId: string): Promise<PayinTable> {
  let query = tx.selectFrom('payins').selectAll().where('id', '=', payinId);
  if (db.dialect === 'postgres') query = query.forUpdate();
  const payin = await query.executeTakeFirst();
  assert(payin !== undefined, `no payin ${payinId}`);
  return payin;
}

export type Disposition =
  'completed' | 'notcompleted' | 'pending' | 'refused' | 'stale' | 'already_final' | 'unknown';

export interface Recorded {
  disposition: Disposition;
  refusal?: DebitRefusal;
  redirectUrl?: string;
}

/**
 * Records the operator's immediate answer to an attempt. A refusal (wrong or expired USSD OTP)
 * voids the hold: a direct payin is then `notcompleted` and its creation answers Code15/16 with no
 * token, so no callback is sent; a hosted payin stays `pending` and the page asks again (spec §6:
 * failed OTP attempts do not end a transaction).
 */
export async function recordDebitOutcome(
  deps: SettleDeps,
  tx: Tx,
  attempt: Attempt,
  outcome: DebitOutcome,
): Promise<Recorded> {
  const nowMs = deps.clock.nowMs();
  const payin = await lockPayin(tx, deps.db, attempt.payinId);
  const invoice = await tx
    .selectFrom('invoices')
    .selectAll()
    .where('payin_id', '=', payin.id)
    .executeTakeFirstOrThrow();
  if (invoice.reference !== attempt.request.reference) return { disposition: 'stale' };
  if (payin.status !== 'pending') return { disposition: 'already_final' };
  if (outcome.state === 'refused') {
    assert(invoice.pending_transfer_id !== null, `payin ${payin.id} has no hold`);
    await postTransfers(
      tx,
      deps.db.dialect,
      [
        {
          kind: 'void_pending',
          pendingId: invoice.pending_transfer_id,
          reason: 'payin_refused',
          subjectId: payin.id,
        },
      ],
      nowMs,
    );
    const reason = `attempt ${invoice.attempt} refused by the operator: ${outcome.reason}`;
    if (attempt.channel === 'direct') {
      await tx
        .updateTable('payins')
        .set({
          status: 'notcompleted',
          status_reason: reason,
          updated_at_ms: nowMs,
          last_request_id: requestStamp(tx),
        })
        .where('id', '=', payin.id)
        .execute();
      await tx
        .updateTable('invoices')
        .set({ updated_at_ms: nowMs })
        .where('payin_id', '=', payin.id)
        .execute();
    } else {
      await tx
        .updateTable('payins')
        .set({ status_reason: reason, updated_at_ms: nowMs, last_request_id: requestStamp(tx) })
        .where('id', '=', payin.id)
        .execute();
      await tx
        .updateTable('invoices')
        .set({ reference: null, pending_transfer_id: null, validation_mode: null, updated_at_ms: nowMs })
        .where('payin_id', '=', payin.id)
        .execute();
    }
    return { disposition: 'refused', refusal: outcome.code };
  }
  if (outcome.state === 'pending') {
    const redirectUrl = 'redirectUrl' in outcome ? outcome.redirectUrl : undefined;
    const operatorState = 'operatorState' in outcome ? outcome.operatorState : undefined;
    assert(
      operatorState === undefined || operatorState.length <= OPERATOR_STATE_CHARS_MAX,
      `operator state of ${attempt.request.reference} over ${OPERATOR_STATE_CHARS_MAX} characters`,
    );
    if (redirectUrl !== undefined || operatorState !== undefined) {
      await tx
        .updateTable('invoices')
        .set({
          ...(redirectUrl !== undefined ? { redirect_url: redirectUrl } : {}),
          ...(operatorState !== undefined ? { operator_state: operatorState } : {}),
          updated_at_ms: nowMs,
        })
        .where('payin_id', '=', payin.id)
        .execute();
    }
    return redirectUrl !== undefined ? { disposition: 'pending', redirectUrl } : { disposition: 'pending' };
  }
  return { disposition: await finalizePayin(deps, tx, payin, invoice, outcome, nowMs) };
}

/**
 * Settles the attempt an operator reports on (a notification, or the answer to a status query of
 * the resolver, `query` then numbering it). Idempotent: a final payin stays as it is.
 */
export async function settlePayinByReference(
  deps: SettleDeps,
  tx: Tx,
  reference: string,
  outcome: OperatorOutcome,
  query?: number,
): Promise<Disposition> {
  const found = await tx
    .selectFrom('invoices')
    .select('payin_id')
    .where('reference', '=', reference)
    .executeTakeFirst();
  if (!found) return 'unknown';
  const nowMs = deps.clock.nowMs();
  const payin = await lockPayin(tx, deps.db, found.payin_id);
  const invoice = await tx
    .selectFrom('invoices')
    .selectAll()
    .where('payin_id', '=', payin.id)
    .executeTakeFirstOrThrow();
  if (invoice.reference !== reference) return 'stale';
  if (payin.status !== 'pending') return 'already_final';
  if (outcome.state === 'pending') {
    if (query !== undefined) {
      // Never pending without a reason: the resolver records every answer and asks again later.
      const reason =
        query >= RESOLVE_QUERIES_REVIEW
          ? `operator still pending after ${query} status queries; needs review`
          : `operator still pending at status query ${query} (${new Date(nowMs).toISOString()})`;
      await tx
        .updateTable('payins')
        .set({ status_reason: reason, updated_at_ms: nowMs, last_request_id: requestStamp(tx) })
        .where('id', '=', payin.id)
        .execute();
      await tx
        .updateTable('invoices')
        .set({
          resolve_after_ms: nowMs + resolveDelayMs(deps.config.pendingDeadlineMs, query),
          resolve_attempts: query,
        })
        .where('payin_id', '=', payin.id)
        .execute();
    }
    return 'pending';
  }
  return finalizePayin(deps, tx, payin, invoice, outcome, nowMs);
}

async function finalizePayin(
  deps: SettleDeps,
  tx: Tx,
  payin: PayinTable,
  invoice: InvoiceTable,
  outcome: Extract<OperatorOutcome, { state: 'completed' | 'failed' }>,
  nowMs: number,
): Promise<'completed' | 'notcompleted'> {
  assert(invoice.pending_transfer_id !== null, `payin ${payin.id} has no hold to settle`);
  const completed = outcome.state === 'completed';
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: completed ? 'post_pending' : 'void_pending',
        pendingId: invoice.pending_transfer_id,
        reason: completed ? 'payin' : 'payin_failed',
        subjectId: payin.id,
      },
    ],
    nowMs,
  );
  assert(posted.ok, `settling the hold of payin ${payin.id} failed`);
  const status = completed ? 'completed' : 'notcompleted';
  const reason = outcome.state === 'failed' ? outcome.reason : null;
  await tx
    .updateTable('payins')
    .set({ status, status_reason: reason, updated_at_ms: nowMs, last_request_id: requestStamp(tx) })
    .where('id', '=', payin.id)
    .execute();
  await tx
    .updateTable('invoices')
    .set({ operator_reference: outcome.operatorReference ?? null, updated_at_ms: nowMs })
    .where('payin_id', '=', payin.id)
    .execute();
  await enqueueEvent(
    tx,
    {
      projectId: payin.project_id,
      type: completed ? 'payin.completed' : 'payin.notcompleted',
      subjectType: 'payin',
      subjectId: payin.id,
    },
    nowMs,
  );
  return status;
}

/**
 * The customer pressed Cancel on the payment page. With no operator request in flight the payin
 * ends `notcompleted` (and the merchant is called back); with one in flight nothing can be undone
 * from here, so it stays `pending` with the reason recorded, and the operator's answer or the
 * resolver's status query decides (ADR 0007).
 */
export async function cancelHostedPayin(
  deps: SettleDeps,
  tx: Tx,
  payinId: string,
): Promise<'cancelled' | 'left' | 'already_final'> {
  const nowMs = deps.clock.nowMs();
  const payin = await lockPayin(tx, deps.db, payinId);
  if (payin.status !== 'pending') return 'already_final';
  const invoice = await tx
    .selectFrom('invoices')
    .selectAll()
    .where('payin_id', '=', payinId)
    .executeTakeFirstOrThrow();
  if (invoice.reference !== null) {
    const operator = payin.operator_id !== null ? operatorById(payin.operator_id) : undefined;
    await tx
      .updateTable('payins')
      .set({
        status_reason: `the customer left the payment page while ${operator?.name ?? 'the operator'} was asked`,
        updated_at_ms: nowMs,
        last_request_id: requestStamp(tx),
      })
      .where('id', '=', payinId)
      .execute();
    return 'left';
  }
  await closeUnpaid(tx, payin, 'cancelled by the customer', nowMs);
  return 'cancelled';
}

/** Ends a hosted payin on which no operator request is in flight (no hold to resolve). */
export async function closeUnpaid(tx: Tx, payin: PayinTable, reason: string, nowMs: number): Promise<void> {
  await tx
    .updateTable('payins')
    .set({
      status: 'notcompleted',
      status_reason: reason,
      updated_at_ms: nowMs,
      last_request_id: requestStamp(tx),
    })
    .where('id', '=', payin.id)
    .execute();
  await enqueueEvent(
    tx,
    { projectId: payin.project_id, type: 'payin.notcompleted', subjectType: 'payin', subjectId: payin.id },
    nowMs,
  );
}
