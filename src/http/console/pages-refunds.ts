import { randomBytes } from 'node:crypto';
import { recordAudit } from '../../commands/console-users.js';
import { type RefundView, createRefund, listPayinRefunds } from '../../commands/refunds.js';
import { parseAmountXof } from '../../core/money.js';
import { REFUND_REASON_CHARS_MAX } from '../../core/refunds.js';
import type { ResultCode } from '../../core/result-codes.js';
import { payinProject } from '../../store/console-refunds.js';
import { type SafeHtml, html } from '../../util/html.js';
import { type Viewer, badge, csrfField, utc, xof } from './layout.js';
import { one } from './form.js';
import { type ConsoleRequest, type ConsoleRouter, type Outcome } from './router.js';

/**
 * Refunds in the console (ADR 0024): on the story page of a payin, its refunds and, for a completed
 * payin with money left to refund, a form to refund an amount (the rest by default). The operator
 * refunds for the payin's project, through the same command as the API (`createRefund`), and the
 * refund is on the audit trail in the same transaction.
 */
const PAYIN_ID = /^pay_[a-z2-7]{1,64}$/;

/** What a refusal tells the operator, by code; the redirect carries the code, never free text. */
const REFUSALS: Partial<Record<ResultCode, string>> = {
  payin_not_completed: 'Only a completed payin can be refunded.',
  payin_fully_refunded: 'This payin is already refunded in full.',
  refund_exceeds_payin: 'That is more than is left to refund of this payin.',
  refund_unsupported: 'This gateway can neither refund through this operator nor pay the payer back.',
  subaccount_insufficient: "The project's sub-account holds too little for this refund.",
  invalid_input: 'The amount must be a positive whole number of XOF, and a reason is needed.',
  not_found: 'No such payin.',
};

export function refundRefusal(code: string | undefined): string | undefined {
  return code === undefined ? undefined : (REFUSALS as Record<string, string | undefined>)[code];
}

export function registerRefundPages(router: ConsoleRouter): void {
  router.action('/transactions/:id/refund', async (r) => refundAction(r));
}

async function refundAction(r: ConsoleRequest): Promise<Outcome> {
  const id = r.params.id ?? '';
  const back = (query: string) => ({
    redirect: `/console/transactions/${encodeURIComponent(id)}?${query}#refunds`,
  });
  if (!PAYIN_ID.test(id)) return back('refund_error=not_found');
  const amountRaw = one(r.form, 'amount');
  const amountXof = amountRaw === '' ? undefined : parseAmountXof(amountRaw);
  const reason = one(r.form, 'reason').slice(0, REFUND_REASON_CHARS_MAX);
  if (
    (amountRaw !== '' && (amountXof === undefined || amountXof <= 0)) ||
    reason === '' ||
    /\p{Cc}/u.test(reason)
  )
    return back('refund_error=invalid_input');
  const result = await r.deps.db.command(async (tx) => {
    const project = await payinProject(tx, id);
    if (project === undefined) return { ok: false as const, code: 'not_found' as const };
    // The console's refunds carry a reference of their own, which no merchant reference can take.
    const merchantReference = `console:${randomBytes(9).toString('base64url')}`;
    const created = await createRefund(r.deps, tx, project, {
      payin: id,
      amountXof,
      reason,
      merchantReference,
      callbackUrl: '',
    });
    if (created.ok) {
      await recordAudit(
        tx,
        {
          username: r.viewer.username,
          action: 'refund',
          target: created.value.id,
          detail: `${id} ${created.value.amountXof} XOF: ${reason}`,
          ip: r.ip,
        },
        r.nowMs,
      );
    }
    return created;
  });
  if (!result.ok) return back(`refund_error=${result.code}`);
  return back(`done=refunded&refund=${result.value.id}`);
}

/** The refunds part of a payin's story page: the list, and the form where a refund is possible. */
export async function refundsSection(
  r: ConsoleRequest,
  payin: { id: string; projectId: string },
): Promise<SafeHtml> {
  const listed = await r.deps.db.command((tx) =>
    listPayinRefunds(r.deps, tx, { id: payin.projectId }, payin.id),
  );
  if (!listed.ok) return html``;
  const { refunds, refundedXof, refundableXof } = listed.value;
  return html`<p>Refunded ${xof(refundedXof)}; ${xof(refundableXof)} left to refund.</p>
${refunds.length === 0 ? html`<p>No refund.</p>` : refundTable(refunds)}
${refundableXof > 0 ? refundForm(r.viewer, payin.id, refundableXof) : ''}`;
}

function refundTable(refunds: RefundView[]): SafeHtml {
  return html`<div class="table-wrap"><table id="refund-list">
<thead><tr><th scope="col">Created (UTC)</th><th scope="col">Refund</th><th scope="col" class="num">Amount</th><th scope="col">Status</th><th scope="col">Method</th><th scope="col">Reason</th><th scope="col">Reference</th><th scope="col">Operator reference</th></tr></thead>
<tbody>${refunds.map(
    (f) =>
      html`<tr><td>${utc(f.createdAtMs)}</td><td><code>${f.id}</code></td><td class="num">${xof(f.amountXof)}</td><td>${badge(f.status)}${f.statusReason !== null ? html` <span class="muted">${f.statusReason}</span>` : ''}</td><td>${f.method}</td><td>${f.reason}</td><td>${f.merchantReference}</td><td>${f.operatorReference ?? '—'}</td></tr>`,
  )}</tbody></table></div>`;
}

function refundForm(viewer: Viewer, payinId: string, refundableXof: number): SafeHtml {
  return html`<form method="post" action="/console/transactions/${payinId}/refund" class="card" aria-label="Refund this payin">
${csrfField(viewer)}
<div><label for="refund-amount">Amount (XOF, at most ${String(refundableXof)}; empty: all of it)</label><input id="refund-amount" name="amount" inputmode="numeric" pattern="[0-9]{1,13}" maxlength="13"></div>
<div><label for="refund-reason">Reason</label><input id="refund-reason" name="reason" required maxlength="${String(REFUND_REASON_CHARS_MAX)}"></div>
<div><button type="submit">Refund</button></div>
</form>`;
}
