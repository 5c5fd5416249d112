import { assert } from '../core/assert.js';
import { INVOICE_ATTEMPTS_MAX, offeredOperators, paymentPageUrl } from '../core/checkout.js';
import type { Invoice, InvoiceChannel } from '../core/invoice.js';
import { accountIds } from '../core/ledger.js';
import { type Operator, operatorForPhone } from '../core/operators.js';
import type { Payin } from '../core/payin.js';
import { normalizePhone } from '../core/phone.js';
import { type DebitRequest, connectorServes } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { ensureAccount, postTransfers } from '../store/ledger-store.js';
import { assignPayinAttempt, getInvoice, lockPayin, startInvoiceAttempt } from '../store/payins.js';
import type { WithClock, WithConfig, WithConnector, WithDb, WithPrefixes } from './context.js';
import { requestStamp } from './request-context.js';
import type { Project } from '../core/project.js';
import { getProject } from '../store/projects.js';

/**
 * Starting an operator attempt on a payin (spec §6.1, §6.2; ADR 0007). Each operator request is an
 * *attempt* with its own reference `<payin id>.<n>`. Starting one is a command: the payin's
 * operator and customer, and a hold — a pending transfer from the operator's settlement account to
 * the project's sub-account for that operator, created on first use (spec §1.6). The operator is
 * then called with no transaction open (payin-flow.ts), and its answer is settled by another
 * command (payin-settle.ts).
 */
export type PayinChannel = InvoiceChannel;

/** An operator request ready to be sent, once its intent has committed. */
export interface Attempt {
  payinId: string;
  token: string;
  channel: PayinChannel;
  mode: Operator['validationMode'];
  request: DebitRequest;
}

/** What starting an attempt needs. */
export type AttemptDeps = WithDb & WithClock & WithConfig<'pendingDeadlineMs' | 'publicUrl'>;

/**
 * The project's operators a payin can go through: enabled for the project and, in production,
 * served by a connector (ADR 0009). The payment page offers only these.
 */
export function payinOperatorIds(deps: WithConnector, project: Project): string[] {
  return project.operatorIds.filter((id) => connectorServes(deps.connector, id, 'debit'));
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
  deps: AttemptDeps & WithConnector & WithPrefixes,
  tx: Tx,
  payinId: string,
  choice: PageChoice,
): Promise<{ ok: true; attempt: Attempt } | { ok: false; error: ChoiceError }> {
  const payin = await lockPayin(tx, deps.db.dialect, payinId);
  const invoice = await getInvoice(tx, payinId);
  if (payin.status !== 'pending') return { ok: false, error: 'final' };
  if (invoice.reference !== null) return { ok: false, error: 'busy' };
  if (invoice.attempt >= INVOICE_ATTEMPTS_MAX) return { ok: false, error: 'too_many_attempts' };
  const project = await getProject(tx, payin.projectId);
  const filter =
    invoice.customerFilter !== '' ? operatorForPhone(invoice.customerFilter, deps.prefixes) : undefined;
  const operator = offeredOperators(payinOperatorIds(deps, project), payin.amountXof, filter).find(
    (op) => op.id === choice.operatorId,
  );
  if (!operator || !project.payinEnabled) return { ok: false, error: 'operator_unavailable' };
  const phone = normalizePhone(choice.phone);
  if (phone === undefined) return { ok: false, error: 'phone_invalid' };
  if (operatorForPhone(phone, deps.prefixes)?.id !== operator.id)
    return { ok: false, error: 'phone_mismatch' };
  if (invoice.customerFilter !== '' && phone !== invoice.customerFilter)
    return { ok: false, error: 'phone_mismatch' };
  if (operator.validationMode === 'ussd_otp' && choice.otp.trim() === '')
    return { ok: false, error: 'otp_missing' };
  return {
    ok: true,
    attempt: await startAttempt(deps, tx, {
      project,
      payin,
      invoice,
      operator,
      phone,
      otp: choice.otp.trim(),
    }),
  };
}

/** The attempt's intent: the accounts it needs, its hold, the invoice's new reference and the payin's reason. */
export async function startAttempt(
  deps: AttemptDeps,
  tx: Tx,
  on: {
    project: Project;
    payin: Payin;
    invoice: Invoice;
    operator: Operator;
    phone: string;
    otp: string;
  },
): Promise<Attempt> {
  const { project, payin, invoice, operator, phone } = on;
  const nowMs = deps.clock.nowMs();
  const holdId = await holdPayin(deps, tx, project, payin, operator, nowMs);
  const attempt = invoice.attempt + 1;
  const reference = `${payin.id}.${attempt}`;
  await startInvoiceAttempt(tx, payin.id, {
    attempt,
    reference,
    validationMode: operator.validationMode,
    pendingTransferId: holdId,
    resolveAfterMs: nowMs + deps.config.pendingDeadlineMs,
    nowMs,
  });
  await assignPayinAttempt(tx, payin, {
    operatorId: operator.id,
    customer: phone,
    reason: { code: 'awaiting_operator', operatorName: operator.name },
    nowMs,
    lastRequestId: requestStamp(tx),
  });
  return {
    payinId: payin.id,
    token: payin.token,
    channel: invoice.channel,
    mode: operator.validationMode,
    request: {
      reference,
      operatorId: operator.id,
      phone,
      amountXof: payin.amountXof,
      otp: operator.validationMode === 'ussd_otp' ? on.otp : '',
      merchantName: invoice.storeName !== '' ? invoice.storeName : project.name,
      description: payin.description,
      returnUrl: paymentPageUrl(deps.config.publicUrl, payin.token),
    },
  };
}

/** The pending transfer that holds the amount while the operator is asked; returns its id. */
async function holdPayin(
  deps: WithDb,
  tx: Tx,
  project: Project,
  payin: Payin,
  operator: Operator,
  nowMs: number,
): Promise<string> {
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
  const hold = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: 'pending',
        debitAccountId: settlementId,
        creditAccountId: subaccountId,
        amountXof: payin.amountXof,
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
  return hold.transfers[0].id;
}
