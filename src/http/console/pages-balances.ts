import {
  type AccountLine,
  type BalancesView,
  type PostingCheck,
  balancesWithProof,
  verifyAgainstPostings,
} from '../../console/balances.js';
import { type SafeHtml, html } from '../../util/html.js';
import { type Viewer, badge, csrfField, xof } from './layout.js';
import type { ConsoleRequest, ConsoleRouter, Outcome } from './router.js';

/**
 * Balances: every project sub-account, wallet and operator account, and the ledger's proof that
 * they sum to zero (debits equal credits, posted and pending). On request, every cached balance is
 * recomputed from the immutable transfers and compared (STYLE.md: balances come from postings).
 */
export function registerBalancesPage(router: ConsoleRouter): void {
  router.page('/balances', async (r) => balancesPage(r));
  router.action('/balances/verify', async (r) => {
    const check = await r.deps.db.command((tx) => verifyAgainstPostings(tx));
    await r.audit(
      'ledger_verify',
      'ledger',
      `${check.accountsChecked} accounts, ${check.mismatches.length} mismatches`,
    );
    return balancesPage(r, check);
  });
}

async function balancesPage(r: ConsoleRequest, check?: PostingCheck): Promise<Outcome> {
  const view = await r.deps.db.command((tx) => balancesWithProof(tx));
  const body = html`${proof(view, r.viewer, check)}
<h2>Project sub-accounts</h2>
${
  view.projects.length === 0
    ? html`<p>No sub-account yet.</p>`
    : view.projects.map((p) =>
        accountTable(
          `${p.projectName}: posted ${xof(p.postedXof)}, available ${xof(p.availableXof)}`,
          p.accounts,
          (a) => a.operatorName ?? a.operatorId ?? a.accountId,
        ),
      )
}
<h2>Operator accounts</h2>
<p class="muted">Money at the operators, outside Cauri: negative when Cauri holds it for merchants and customers.</p>
${accountTable('Operator settlement accounts', view.operators, (a) => a.operatorName ?? a.operatorId ?? a.accountId)}
<h2>Customer wallets</h2>
${accountTable('Wallets', view.wallets, (a) => `${a.phone ?? a.accountId}${a.holderName !== null ? ` (${a.holderName})` : ''}`)}
<h2>System accounts</h2>
${accountTable('System', view.system, (a) => a.accountId)}
${view.truncated ? html`<p class="muted">Only the first ${view.accountsShown} accounts are listed; the proof above covers all ${view.proof.accountsTotal}.</p>` : ''}`;
  return { page: { title: 'Balances', section: 'balances', body } };
}

function proof(view: BalancesView, viewer: Viewer, check: PostingCheck | undefined): SafeHtml {
  const p = view.proof;
  return html`<div class="card" aria-labelledby="proof-title"><h2 id="proof-title">Proof of balance ${badge(p.balanced && p.postedBalanceSumXof === 0 ? 'ok' : 'ko')}</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Over all ${p.accountsTotal} accounts</th><th scope="col" class="num">Debits</th><th scope="col" class="num">Credits</th><th scope="col" class="num">Difference</th></tr></thead>
<tbody>
<tr><th scope="row">Posted</th><td class="num">${xof(p.debitsPostedXof)}</td><td class="num">${xof(p.creditsPostedXof)}</td><td class="num">${xof(p.creditsPostedXof - p.debitsPostedXof)}</td></tr>
<tr><th scope="row">Pending (holds)</th><td class="num">${xof(p.debitsPendingXof)}</td><td class="num">${xof(p.creditsPendingXof)}</td><td class="num">${xof(p.creditsPendingXof - p.debitsPendingXof)}</td></tr>
</tbody>
<tfoot><tr><th scope="row">Sum of every posted balance</th><td></td><td></td><td class="num">${xof(p.postedBalanceSumXof)}</td></tr></tfoot>
</table></div>
<p>${p.balanced ? 'Every transfer debits one account and credits another by the same amount, so the balances of all accounts sum to zero: they do.' : 'The ledger does NOT balance. Stop payouts and investigate.'}</p>
<form method="post" action="/console/balances/verify">${csrfField(viewer)}<button type="submit" class="secondary">Recompute every balance from the transfers</button></form>
${check === undefined ? '' : checkResult(check)}
</div>`;
}

function checkResult(check: PostingCheck): SafeHtml {
  if (check.mismatches.length === 0) {
    return html`<p class="notice" role="status">Recomputed ${check.accountsChecked} accounts from their transfers: every cached balance matches.</p>`;
  }
  return html`<div class="error" role="alert"><p>${check.mismatches.length}${check.truncated ? '+' : ''} of ${check.accountsChecked} accounts differ from their transfers:</p>
<ul>${check.mismatches.map((m) => html`<li><code>${m.accountId}</code>: cached posted ${m.cached.creditsPostedXof - m.cached.debitsPostedXof}, recomputed ${m.recomputed.creditsPostedXof - m.recomputed.debitsPostedXof}; cached held ${m.cached.debitsPendingXof}, recomputed ${m.recomputed.debitsPendingXof}</li>`)}</ul></div>`;
}

function accountTable(caption: string, accounts: AccountLine[], name: (a: AccountLine) => string): SafeHtml {
  if (accounts.length === 0) return html`<p>None.</p>`;
  return html`<div class="table-wrap"><table><caption>${caption}</caption>
<thead><tr><th scope="col">Account</th><th scope="col" class="num">Debits posted</th><th scope="col" class="num">Credits posted</th><th scope="col" class="num">Balance</th><th scope="col" class="num">Held</th><th scope="col" class="num">Available</th></tr></thead>
<tbody>${accounts.map(
    (a) =>
      html`<tr><th scope="row">${name(a)}<br><code class="muted">${a.accountId}</code></th><td class="num">${xof(a.debitsPostedXof)}</td><td class="num">${xof(a.creditsPostedXof)}</td><td class="num">${xof(a.postedXof)}</td><td class="num">${xof(a.debitsPendingXof)}</td><td class="num">${xof(a.availableXof)}</td></tr>`,
  )}</tbody></table></div>`;
}
