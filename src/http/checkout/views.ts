import type { DisplayItem } from '../../core/checkout.js';
import type { Operator, ValidationMode } from '../../core/operators.js';
import { type SafeHtml, html } from '../../util/html.js';
import { layout } from './html.js';
import { type Lang, MESSAGES, type PageError, errorText, fill, formatXof, modeHint } from './i18n.js';

/**
 * The payment page's screens, as pure functions of a view model: the invoice (store, description,
 * items, amount) on top, then what the customer does next. Links and forms carry `lang`; forms
 * carry the CSRF value. There is no script: the waiting screen reloads itself with a meta refresh.
 */
export interface InvoiceView {
  lang: Lang;
  /** `/directpayment/invoice/<token>`: every link and form of the page is relative to it. */
  basePath: string;
  storeName: string;
  storeUrl: string;
  description: string;
  items: DisplayItem[];
  amountXof: number;
  requestId: string;
  csrf: string;
  sandbox: boolean;
}

export type Screen =
  | { kind: 'choose'; operators: Operator[]; canCancel: boolean }
  | {
      kind: 'form';
      operator: Operator;
      phone: string;
      canChange: boolean;
      canCancel: boolean;
      simCode?: string;
    }
  | {
      kind: 'waiting';
      operator: Operator;
      phone: string;
      mode: ValidationMode;
      redirectUrl?: string;
      go: boolean;
      canCancel: boolean;
      canSimulate: boolean;
    }
  | { kind: 'completed' | 'failed' | 'cancelled'; target?: string }
  | { kind: 'left'; target?: string };

/** Seconds the waiting screen waits before reloading, and a final screen before going back to the shop. */
export const WAITING_REFRESH_SECONDS = 3;
export const FINAL_REDIRECT_SECONDS = 5;

function query(view: InvoiceView, extra: Record<string, string> = {}): string {
  return `?${new URLSearchParams({ ...extra, lang: view.lang }).toString()}`;
}

function hidden(view: InvoiceView): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${view.csrf}"><input type="hidden" name="lang" value="${view.lang}">`;
}

function invoiceCard(view: InvoiceView): SafeHtml {
  const t = MESSAGES[view.lang];
  // store.website_url is free text (a bare domain is common, ADR 0016): a link only when it is http(s).
  const store = /^https?:\/\//i.test(view.storeUrl)
    ? html`<a href="${view.storeUrl}" rel="noopener noreferrer">${view.storeName}</a>`
    : view.storeName;
  const items =
    view.items.length === 0
      ? ''
      : html`<table>
<thead><tr><th>${t.item}</th><th class="num">${t.quantity}</th><th class="num">${t.price}</th></tr></thead>
<tbody>${view.items.map(
          (item) =>
            html`<tr><td>${item.name}${item.description !== '' ? html`<br><span class="muted">${item.description}</span>` : ''}</td><td class="num">${item.quantity}</td><td class="num">${price(view.lang, item.totalPrice !== '' ? item.totalPrice : item.unitPrice)}</td></tr>`,
        )}</tbody>
</table>`;
  return html`<section class="card" aria-labelledby="store">
<p class="muted">${t.payTo}</p>
<h1 id="store">${store}</h1>
<p>${view.description}</p>
${items}
<p class="muted">${t.total}</p>
<p class="amount" data-testid="amount">${formatXof(view.lang, view.amountXof)}</p>
<p class="muted">${t.reference} <code>${view.requestId}</code></p>
</section>`;
}

/** An item's price as the merchant sent it, grouped like the total when it is a whole number. */
function price(lang: Lang, raw: string): string {
  return /^\d{1,13}(\.0+)?$/.test(raw) ? formatXof(lang, Number(raw)) : raw;
}

function cancelForm(view: InvoiceView): SafeHtml {
  return html`<form class="inline" method="post" action="${view.basePath}/cancel">${hidden(view)}<button class="secondary" type="submit">${MESSAGES[view.lang].cancel}</button></form>`;
}

function chooseScreen(view: InvoiceView, screen: Extract<Screen, { kind: 'choose' }>): SafeHtml {
  const t = MESSAGES[view.lang];
  const list =
    screen.operators.length === 0
      ? html`<p class="error">${t.noOperator}</p>`
      : html`<ul class="ops">${screen.operators.map(
          (op) =>
            html`<li><a href="${view.basePath}${query(view, { op: op.id })}"><span>${op.name}</span><span class="country">${op.country}</span></a></li>`,
        )}</ul>`;
  return html`<section class="card"><h2>${t.chooseOperator}</h2>${list}${screen.canCancel ? cancelForm(view) : ''}</section>`;
}

function formScreen(view: InvoiceView, screen: Extract<Screen, { kind: 'form' }>): SafeHtml {
  const t = MESSAGES[view.lang];
  const op = screen.operator;
  const example = `${op.countryCode}${'7'.repeat(op.nationalLength)}`;
  const needsOtp = op.validationMode === 'ussd_otp';
  const hint = fill(modeHint(view.lang, op.validationMode, 'before'), {
    code: op.ussdCode ?? '',
    operator: op.name,
  });
  const otp = needsOtp
    ? html`<label for="otp">${t.otpLabel}</label>
<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required>`
    : '';
  const sandbox =
    view.sandbox && needsOtp
      ? html`<section class="card sandbox"><h2>${t.sandboxTitle}</h2><p>${t.sandboxOtp}</p>
${screen.simCode !== undefined ? html`<p class="notice">${t.sandboxCode} <code data-testid="sim-code">${screen.simCode}</code></p>` : ''}
<form method="post" action="${view.basePath}/dial">${hidden(view)}<input type="hidden" name="op" value="${op.id}">
<label for="dial-phone">${t.phoneLabel} ${op.name}</label>
<input id="dial-phone" name="phone" type="tel" inputmode="tel" value="${screen.phone}" maxlength="20" required>
<button class="secondary" type="submit">${t.dial} ${op.ussdCode ?? ''}</button></form></section>`
      : '';
  return html`<section class="card"><h2>${op.name}</h2>
<p class="muted">${hint}</p>
<form method="post" action="${view.basePath}/pay">${hidden(view)}<input type="hidden" name="operator" value="${op.id}">
<label for="phone">${t.phoneLabel} ${op.name}</label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" value="${screen.phone}" maxlength="20" required>
<p class="muted">${t.phoneHint} ${example}</p>
${otp}
<button type="submit">${t.pay} ${formatXof(view.lang, view.amountXof)}</button>
</form>
${screen.canChange ? html`<a class="button secondary" href="${view.basePath}${query(view)}">${t.changeOperator}</a>` : ''}
${screen.canCancel ? cancelForm(view) : ''}
</section>${sandbox}`;
}

function waitingScreen(view: InvoiceView, screen: Extract<Screen, { kind: 'waiting' }>): SafeHtml {
  const t = MESSAGES[view.lang];
  const op = screen.operator;
  const text = fill(modeHint(view.lang, screen.mode, 'waiting'), {
    code: op.ussdCode ?? '',
    operator: op.name,
    phone: screen.phone,
  });
  const portal =
    screen.redirectUrl !== undefined
      ? html`<a class="button" href="${screen.redirectUrl}" rel="noopener noreferrer">${fill(t.continueTo, { operator: op.name })}</a>`
      : '';
  const simulate = !screen.canSimulate
    ? ''
    : screen.mode === 'guided_ussd'
      ? html`<section class="card sandbox"><h2>${t.sandboxTitle}</h2><p>${t.sandboxDial}</p>
<form method="post" action="${view.basePath}/dial">${hidden(view)}<input type="hidden" name="op" value="${op.id}"><input type="hidden" name="phone" value="${screen.phone}">
<button type="submit">${t.dial} ${op.ussdCode ?? ''}</button></form></section>`
      : html`<section class="card sandbox"><h2>${t.sandboxTitle}</h2><p>${t.sandboxPush}</p><div class="row">
<form method="post" action="${view.basePath}/simulate">${hidden(view)}<input type="hidden" name="decision" value="approve"><button type="submit">${t.approve}</button></form>
<form method="post" action="${view.basePath}/simulate">${hidden(view)}<input type="hidden" name="decision" value="decline"><button class="danger" type="submit">${t.decline}</button></form>
</div></section>`;
  return html`<section class="card" data-testid="waiting"><p class="status" aria-hidden="true"><span class="spinner"></span></p><h2>${t.waitingTitle}</h2>
<p>${text}</p>${portal}
<p class="muted">${t.autoRefresh}</p>
<a class="button secondary" href="${view.basePath}${query(view)}">${t.refresh}</a>
${screen.canCancel ? cancelForm(view) : ''}
</section>${simulate}`;
}

function finalScreen(
  view: InvoiceView,
  screen: Extract<Screen, { kind: 'completed' | 'failed' | 'cancelled' | 'left' }>,
): SafeHtml {
  const t = MESSAGES[view.lang];
  const words = {
    completed: { icon: '✓', cls: 'ok', title: t.completedTitle, text: t.completedText },
    failed: { icon: '✕', cls: 'ko', title: t.failedTitle, text: t.failedText },
    cancelled: { icon: '✕', cls: 'ko', title: t.cancelledTitle, text: t.cancelledText },
    left: { icon: '↩', cls: 'wait', title: t.returnToShop, text: t.leftText },
  }[screen.kind];
  const back =
    screen.target !== undefined
      ? html`<p class="muted">${t.redirecting}</p><a class="button" data-testid="back" href="${screen.target}" rel="noreferrer">${t.returnToShop}</a>`
      : '';
  return html`<section class="card" data-testid="${screen.kind}"><p class="status ${words.cls}" aria-hidden="true">${words.icon}</p><h2>${words.title}</h2><p>${words.text}</p>${back}</section>`;
}

export function renderInvoicePage(view: InvoiceView, screen: Screen, error: PageError | undefined): string {
  const t = MESSAGES[view.lang];
  const other: Lang = view.lang === 'fr' ? 'en' : 'fr';
  let body: SafeHtml;
  let refreshSeconds: number | undefined;
  let refreshUrl: string | undefined;
  switch (screen.kind) {
    case 'choose':
      body = chooseScreen(view, screen);
      break;
    case 'form':
      body = formScreen(view, screen);
      break;
    case 'waiting':
      body = waitingScreen(view, screen);
      refreshSeconds = screen.go && screen.redirectUrl !== undefined ? 0 : WAITING_REFRESH_SECONDS;
      refreshUrl =
        screen.go && screen.redirectUrl !== undefined ? screen.redirectUrl : `${view.basePath}${query(view)}`;
      break;
    default:
      body = finalScreen(view, screen);
      if (screen.target !== undefined) {
        refreshSeconds = screen.kind === 'left' ? 0 : FINAL_REDIRECT_SECONDS;
        refreshUrl = screen.target;
      }
  }
  const switchUrl = `${view.basePath}?${new URLSearchParams({ lang: other }).toString()}`;
  const page = html`<main>
<header class="top"><span>${t.securedBy}</span><a href="${switchUrl}" hreflang="${other}" lang="${other}">${t.otherLanguage}</a></header>
${error !== undefined ? html`<p class="error" role="alert" data-testid="error">${errorText(view.lang, error)}</p>` : ''}
${invoiceCard(view)}
${body}
<footer>Cauri</footer>
</main>`;
  return layout(
    {
      lang: view.lang,
      title: `${t.title} — ${view.storeName}`,
      ...(refreshSeconds !== undefined ? { refreshSeconds } : {}),
      ...(refreshUrl !== undefined ? { refreshUrl } : {}),
    },
    page,
  );
}

export function renderNotFound(lang: Lang): string {
  const t = MESSAGES[lang];
  return layout(
    { lang, title: t.notFoundTitle },
    html`<main><section class="card" data-testid="not-found"><h1>${t.notFoundTitle}</h1><p>${t.notFoundText}</p></section></main>`,
  );
}

export function renderError(lang: Lang): string {
  const t = MESSAGES[lang];
  return layout(
    { lang, title: t.title },
    html`<main><section class="card"><p class="error">${t.error}</p></section></main>`,
  );
}
