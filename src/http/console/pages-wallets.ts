import { recordAudit } from '../../commands/console-users.js';
import { createWallet, fundWallet } from '../../commands/wallets.js';
import { availableXof } from '../../core/ledger.js';
import { parseAmountXof } from '../../core/money.js';
import { normalizePhone } from '../../core/phone.js';
import { type SafeHtml, html } from '../../util/html.js';
import { listWallets } from '../../store/wallets.js';
import { type Viewer, csrfField, utc, xof } from './layout.js';
import { one } from './form.js';
import { type ConsoleRequest, type ConsoleRouter, type Outcome } from './router.js';

/** Customer wallets: find by phone, create, fund (spec §1.1: LigdiCash accounts are phone numbers). */
const WALLETS_LISTED_MAX = 100;
/** Notices named by `?done=`; a Map, so that `?done=constructor` names nothing (issue 10). */
const DONE = new Map([
  ['created', 'Wallet created.'],
  ['exists', 'That wallet already existed; nothing changed.'],
  ['funded', 'Wallet funded.'],
]);

export function registerWalletPages(router: ConsoleRouter): void {
  router.page('/wallets', async (r) => walletsPage(r, DONE.get(r.query.done ?? '')));

  router.action('/wallets', async (r) => {
    const phone = one(r.form, 'phone');
    const name = one(r.form, 'holder_name');
    const fundRaw = one(r.form, 'amount');
    const amount = fundRaw === '' ? undefined : parseAmountXof(fundRaw);
    if (amount !== undefined && amount <= 0)
      return walletsPage(r, undefined, 'The amount must be a whole, positive number of XOF.');
    if (fundRaw !== '' && amount === undefined)
      return walletsPage(r, undefined, 'The amount must be a whole, positive number of XOF.');
    const result = await r.deps.db.command(async (tx) => {
      const created = await createWallet(tx, phone, name === '' ? null : name, r.nowMs);
      if (!created.ok) return created;
      if (amount !== undefined) {
        const funded = await fundWallet(tx, r.deps.db.dialect, created.value.phone, amount, r.nowMs);
        if (!funded.ok) return funded;
      }
      await recordAudit(
        tx,
        {
          username: r.viewer.username,
          action: 'wallet_create',
          target: created.value.phone,
          detail: amount === undefined ? '' : `funded ${amount} XOF`,
          ip: r.ip,
        },
        r.nowMs,
      );
      return created;
    });
    if (!result.ok) return walletsPage(r, undefined, result.detail ?? result.code.replace(/_/g, ' '));
    const done = 'created' in result.value && !result.value.created ? 'exists' : 'created';
    return { redirect: `/console/wallets?phone=${encodeURIComponent(result.value.phone)}&done=${done}` };
  });

  router.action('/wallets/fund', async (r) => {
    const amount = parseAmountXof(one(r.form, 'amount'));
    if (amount === undefined || amount <= 0)
      return walletsPage(r, undefined, 'The amount must be a whole, positive number of XOF.');
    const result = await r.deps.db.command(async (tx) => {
      const funded = await fundWallet(tx, r.deps.db.dialect, one(r.form, 'phone'), amount, r.nowMs);
      if (funded.ok)
        await recordAudit(
          tx,
          {
            username: r.viewer.username,
            action: 'wallet_fund',
            target: funded.value.phone,
            detail: `${amount} XOF`,
            ip: r.ip,
          },
          r.nowMs,
        );
      return funded;
    });
    if (!result.ok) return walletsPage(r, undefined, result.detail ?? result.code.replace(/_/g, ' '));
    return { redirect: `/console/wallets?phone=${encodeURIComponent(result.value.phone)}&done=funded` };
  });
}

async function walletsPage(r: ConsoleRequest, notice?: string, error?: string): Promise<Outcome> {
  const search = r.query.phone ?? '';
  const phone = search === '' ? undefined : (normalizePhone(search) ?? search);
  const rows = await r.deps.db.command((tx) => listWallets(tx, { phone, limit: WALLETS_LISTED_MAX }));
  const table =
    rows.length === 0
      ? html`<p>${phone === undefined ? 'No wallets yet.' : html`No wallet for <code>${phone}</code>.`}</p>`
      : html`<div class="table-wrap"><table>
<caption>${phone === undefined ? `The ${rows.length} newest wallets` : 'Matching wallet'}</caption>
<thead><tr><th scope="col">Phone</th><th scope="col">Holder</th><th scope="col" class="num">Posted</th><th scope="col" class="num">Held</th><th scope="col" class="num">Available</th><th scope="col">Created</th></tr></thead>
<tbody>${rows.map(({ phone: walletPhone, holderName, balance, createdAtMs }) => {
          return html`<tr><td><a href="/console/transactions?phone=${walletPhone ?? ''}">${walletPhone ?? ''}</a></td><td>${holderName ?? '—'}</td><td class="num">${xof(balance.creditsPostedXof - balance.debitsPostedXof)}</td><td class="num">${xof(balance.debitsPendingXof)}</td><td class="num">${xof(availableXof(balance))}</td><td>${utc(createdAtMs)}</td></tr>`;
        })}</tbody></table></div>`;
  const body = html`<form method="get" action="/console/wallets" class="filters" role="search">
<div><label for="search-phone">Phone</label><input id="search-phone" name="phone" type="search" inputmode="tel" value="${search}"></div>
<div><button type="submit" class="secondary">Find</button></div></form>
${table}
<div class="grid">${createWalletForm(r.viewer)}${fundWalletForm(r.viewer, phone)}</div>`;
  return {
    status: error === undefined ? 200 : 400,
    page: { title: 'Wallets', section: 'wallets', body, notice, error },
  };
}

function createWalletForm(viewer: Viewer): SafeHtml {
  return html`<div class="card"><h2>New wallet</h2><form method="post" action="/console/wallets" class="stack">${csrfField(viewer)}
<label for="new-phone">Phone (international, e.g. 22670123456)</label><input id="new-phone" name="phone" type="tel" required maxlength="20">
<label for="new-name">Holder name (optional)</label><input id="new-name" name="holder_name" type="text" maxlength="100">
<label for="new-amount">Initial funding in XOF (optional)</label><input id="new-amount" name="amount" type="number" min="1" step="1">
<div><button type="submit">Create wallet</button></div></form></div>`;
}

function fundWalletForm(viewer: Viewer, phone: string | undefined): SafeHtml {
  return html`<div class="card"><h2>Fund a wallet</h2><form method="post" action="/console/wallets/fund" class="stack">${csrfField(viewer)}
<label for="fund-phone">Phone</label><input id="fund-phone" name="phone" type="tel" required maxlength="20" value="${phone ?? ''}">
<label for="fund-amount">Amount in XOF</label><input id="fund-amount" name="amount" type="number" min="1" step="1" required>
<div><button type="submit">Fund wallet</button></div></form></div>`;
}
