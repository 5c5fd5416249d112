import { deliverNotification } from '../../commands/operator-notification.js';
import { listSms } from '../../commands/sms.js';
import { OPERATORS } from '../../core/operators.js';
import { PAYIN_MAGIC_SUFFIXES, SIM_LIST_LIMIT_MAX } from '../../operators/simulator-desk.js';
import { MAGIC_SUFFIXES, simulatorDeskOf } from '../../operators/simulator.js';
import { type SafeHtml, html } from '../../util/html.js';
import { badge, csrfField, xof } from './layout.js';
import { type ConsoleRequest, type ConsoleRouter, type Outcome } from './router.js';

/**
 * Sandbox pages (registered only in sandbox mode): the SMS inbox where OTPs arrive, the pushes
 * waiting for a customer's answer, and the magic numbers that decide outcomes (README).
 */
const SMS_LISTED_MAX = 100;

export function registerSandboxPages(router: ConsoleRouter): void {
  router.page('/sandbox/sms', async (r) => {
    const phone = r.query.phone ?? '';
    const messages = await r.deps.db.command((tx) =>
      listSms(tx, phone === '' ? undefined : phone, SMS_LISTED_MAX),
    );
    const body = html`<form method="get" action="/console/sandbox/sms" class="filters" role="search">
<div><label for="sms-phone">Phone</label><input id="sms-phone" name="phone" type="search" inputmode="tel" value="${phone}"></div>
<div><button type="submit" class="secondary">Filter</button></div></form>
${
  messages.length === 0
    ? html`<p>No messages${phone === '' ? '' : ' for this number'}.</p>`
    : html`<div class="table-wrap"><table><caption>Newest first</caption>
<thead><tr><th scope="col">Received (UTC)</th><th scope="col">Phone</th><th scope="col">Message</th></tr></thead>
<tbody>${messages.map((m) => html`<tr><td>${m.createdAt.replace('T', ' ').slice(0, 19)}</td><td>${m.phone}</td><td>${m.body}</td></tr>`)}</tbody></table></div>`
}`;
    return { page: { title: 'SMS inbox', section: 'sms', body } };
  });

  router.page('/sandbox/pushes', async (r) => pushesPage(r));

  router.action('/sandbox/pushes/:id/:decision', async (r) => {
    const desk = simulatorDeskOf(r.deps.connector);
    const decision = r.params.decision;
    if (desk === undefined || (decision !== 'approve' && decision !== 'decline'))
      return pushesPage(r, undefined, 'The operator simulator is not in use.');
    const decided = await desk.decide(r.params.id ?? '', decision);
    if (!decided.ok) return pushesPage(r, undefined, decided.error);
    const delivered = await deliverNotification(r.deps, decided.value.notification);
    await r.audit(`push_${decision}`, decided.value.approval.id, decided.value.approval.reference);
    const settled = delivered === 'rejected' ? 'rejected by the gateway' : 'settled';
    return {
      redirect: `/console/sandbox/pushes?done=${encodeURIComponent(`${decided.value.approval.id} ${decision === 'approve' ? 'approved' : 'declined'}, ${settled}`)}`,
    };
  });

  router.page('/sandbox/magic-numbers', () =>
    Promise.resolve({ page: { title: 'Magic numbers', section: 'magic', body: magicTable() } }),
  );
}

async function pushesPage(r: ConsoleRequest, notice?: string, error?: string): Promise<Outcome> {
  const desk = simulatorDeskOf(r.deps.connector);
  const pushes = desk === undefined ? [] : await desk.listPending(undefined, SIM_LIST_LIMIT_MAX);
  const doneText = r.query.done ?? '';
  // The notice echoes only what this page itself wrote: an id, a verb and an outcome.
  const shownNotice =
    notice ??
    (/^PSH\d{8} (approved|declined), (settled|rejected by the gateway)$/.test(doneText)
      ? doneText
      : undefined);
  const body =
    pushes.length === 0
      ? html`<p>No request is waiting for a customer. Start a payin on a push, guided-USSD, app or portal operator and it appears here.</p>`
      : html`<div class="table-wrap"><table><caption>Requests waiting for the customer's answer, oldest first</caption>
<thead><tr><th scope="col">Request</th><th scope="col">Operator</th><th scope="col">Phone</th><th scope="col" class="num">Amount</th><th scope="col">Kind</th><th scope="col">Merchant</th><th scope="col">Answer</th></tr></thead>
<tbody>${pushes.map(
          (
            p,
          ) => html`<tr><td><code>${p.id}</code></td><td>${p.operatorName}</td><td>${p.phone}</td><td class="num">${xof(p.amountXof)}</td><td>${badge(p.kind)}</td><td>${p.merchantName}<br><span class="muted">${p.description}</span></td>
<td><div class="actions"><form method="post" action="/console/sandbox/pushes/${p.id}/approve" class="inline">${csrfField(r.viewer)}<button type="submit" class="small" aria-label="Approve ${p.id}">Approve</button></form>
<form method="post" action="/console/sandbox/pushes/${p.id}/decline" class="inline">${csrfField(r.viewer)}<button type="submit" class="small danger" aria-label="Decline ${p.id}">Decline</button></form></div></td></tr>`,
        )}</tbody></table></div>`;
  return {
    status: error === undefined ? 200 : 409,
    page: { title: 'Pending pushes', section: 'pushes', body, notice: shownNotice, error },
  };
}

function describe(outcome: { state: string; reason?: string }): string {
  if (outcome.state === 'failed') return `fails: ${outcome.reason ?? ''}`.replace(/_/g, ' ');
  return outcome.state === 'pending' ? 'stays pending' : 'completes at once';
}

function magicTable(): SafeHtml {
  const suffixes = [
    ...new Set([...Object.keys(PAYIN_MAGIC_SUFFIXES), ...Object.keys(MAGIC_SUFFIXES)]),
  ].sort();
  const example = OPERATORS.find((op) => op.id === '11') ?? OPERATORS[0];
  return html`<p>The operator simulator decides some outcomes from the last four digits of the customer's number, without anyone approving anything. Any other number follows the operator's real validation mode.</p>
<div class="table-wrap"><table><caption>Outcome by the number's last four digits</caption>
<thead><tr><th scope="col">Ends with</th><th scope="col">Payin</th><th scope="col">Payout to mobile money</th><th scope="col">Example</th></tr></thead>
<tbody>${suffixes.map((suffix) => {
    const payin = PAYIN_MAGIC_SUFFIXES[suffix as keyof typeof PAYIN_MAGIC_SUFFIXES] as
      { state: string; reason?: string } | undefined;
    const payout = MAGIC_SUFFIXES[suffix as keyof typeof MAGIC_SUFFIXES] as
      { state: string; reason?: string } | undefined;
    return html`<tr><td><code>${suffix}</code></td><td>${payin ? describe(payin) : 'the operator’s mode'}</td><td>${payout ? describe(payout) : 'completes'}</td><td><code>2267000${suffix}</code></td></tr>`;
  })}
<tr><td>anything else</td><td>the operator’s mode: a dialled USSD code or an approval</td><td>completes</td><td><code>22670123456</code></td></tr>
</tbody></table></div>
<p class="muted">Examples use ${example?.name ?? 'Orange Burkina'} numbers (226 70…); the suffix works on every operator.</p>`;
}
