import type { WithConfig, WithConnector, WithDb, WithPrefixes } from '../../commands/context.js';
import { type TokenVerifier, verifyGatewayToken } from '../../commands/lookup.js';
import { payinOperatorIds } from '../../commands/payin-attempt.js';
import type { Project } from '../../core/project.js';
import { type DisplayItem, checkUrl, offeredOperators, withToken } from '../../core/checkout.js';
import type { Invoice } from '../../core/invoice.js';
import { operatorById, operatorForPhone } from '../../core/operators.js';
import type { Payin } from '../../core/payin.js';
import { simulatorDeskOf } from '../../operators/simulator.js';
import { findInvoice, findPayinByNumber } from '../../store/payins.js';
import { getProject } from '../../store/projects.js';
import type { Lang } from './i18n.js';
import type { InvoiceView, Screen } from './views.js';

/**
 * What the payment page shows, decided from the payin, its invoice and the page's query: which
 * screen (choose an operator, the number form, waiting for the operator, or an outcome) and where
 * the browser goes once the customer is done. Rendering the screen is views.ts's.
 */
export const TOKEN_LENGTH_MAX = 1024;

/** What the page reads: the payin its token names, the payin's invoice and project. */
export interface Loaded {
  payin: Payin;
  invoice: Invoice;
  project: Project;
}

/** What deciding the page needs. */
export type PageStateDeps = WithConnector & WithPrefixes & WithConfig<'mode'>;

/** The payin, invoice and project of a genuine payin token, or undefined (forged, unknown, no invoice). */
export async function loadPage(deps: WithDb & TokenVerifier, token: string): Promise<Loaded | undefined> {
  if (token.length === 0 || token.length > TOKEN_LENGTH_MAX) return undefined;
  const claims = verifyGatewayToken(deps, token);
  if (claims?.kind !== 'payin') return undefined;
  return deps.db.command(async (tx) => {
    const payin = await findPayinByNumber(tx, claims.number);
    if (!payin) return undefined;
    const invoice = await findInvoice(tx, payin.id);
    if (!invoice) return undefined;
    const project = await getProject(tx, payin.projectId);
    return { payin, invoice, project };
  });
}

/** Where the browser goes when the customer is done: `return_url` or `cancel_url` with `?token=`, else the shop. */
function merchantTarget(loaded: Loaded, which: 'return' | 'cancel'): string | undefined {
  const { invoice, payin } = loaded;
  const order =
    which === 'return' ? [invoice.returnUrl, invoice.cancelUrl] : [invoice.cancelUrl, invoice.returnUrl];
  const url = order.find((candidate) => candidate !== '' && checkUrl(candidate) !== undefined);
  if (url !== undefined) return withToken(url, payin.token);
  return invoice.storeWebsiteUrl !== '' && checkUrl(invoice.storeWebsiteUrl) !== undefined
    ? invoice.storeWebsiteUrl
    : undefined;
}

/** The screen for this payin and the page's query (`op`, `phone`, `go`, `left`, `simcode`). */
export function screenOf(deps: PageStateDeps, loaded: Loaded, q: Record<string, unknown>): Screen {
  const { payin, invoice } = loaded;
  const hosted = invoice.channel === 'hosted';
  if (payin.status === 'completed') return withTarget('completed', merchantTarget(loaded, 'return'));
  if (payin.status !== 'pending') {
    const cancelled = payin.statusReasonCode === 'customer_cancelled';
    return withTarget(
      cancelled ? 'cancelled' : 'failed',
      merchantTarget(loaded, cancelled ? 'cancel' : 'return'),
    );
  }
  if (q.left === '1' && hosted) return withTarget('left', merchantTarget(loaded, 'cancel'));
  const operator = payin.operatorId !== null ? operatorById(payin.operatorId) : undefined;
  if (invoice.reference !== null && operator !== undefined) {
    const redirectUrl = invoice.redirectUrl !== null ? checkUrl(invoice.redirectUrl) : undefined;
    const canSimulate =
      deps.config.mode === 'sandbox' &&
      simulatorDeskOf(deps.connector) !== undefined &&
      invoice.validationMode !== 'ussd_otp';
    return {
      kind: 'waiting',
      operator,
      phone: payin.customer ?? '',
      mode: invoice.validationMode ?? operator.validationMode,
      ...(redirectUrl ? { redirectUrl } : {}),
      go: q.go === '1',
      canCancel: hosted,
      canSimulate,
    };
  }
  return choiceScreen(deps, loaded, q);
}

/** No request in flight: the operators on offer, or the number form of the one chosen. */
function choiceScreen(deps: PageStateDeps, loaded: Loaded, q: Record<string, unknown>): Screen {
  const { payin, invoice, project } = loaded;
  const hosted = invoice.channel === 'hosted';
  const filter =
    invoice.customerFilter !== '' ? operatorForPhone(invoice.customerFilter, deps.prefixes) : undefined;
  const offered = project.payinEnabled
    ? offeredOperators(payinOperatorIds(deps, project), payin.amountXof, filter)
    : [];
  const selected = offered.find((op) => op.id === q.op) ?? (offered.length === 1 ? offered[0] : undefined);
  if (!hosted || selected === undefined)
    return { kind: 'choose', operators: hosted ? offered : [], canCancel: hosted };
  const typed = typeof q.phone === 'string' && /^\+?\d{8,15}$/.test(q.phone) ? q.phone : undefined;
  const simCode =
    deps.config.mode === 'sandbox' && typeof q.simcode === 'string' && /^\d{4,8}$/.test(q.simcode)
      ? q.simcode
      : undefined;
  return {
    kind: 'form',
    operator: selected,
    phone: invoice.customerFilter !== '' ? invoice.customerFilter : (typed ?? selected.countryCode),
    canChange: offered.length > 1,
    canCancel: true,
    ...(simCode !== undefined ? { simCode } : {}),
  };
}

function withTarget(kind: 'completed' | 'failed' | 'cancelled' | 'left', target: string | undefined): Screen {
  return target !== undefined ? { kind, target } : { kind };
}

/** The invoice as the page shows it on every screen. */
export function viewOf(
  deps: WithConnector & WithConfig<'mode'>,
  loaded: Loaded,
  page: { lang: Lang; basePath: string; csrf: string },
): InvoiceView {
  const { payin, invoice } = loaded;
  return {
    lang: page.lang,
    basePath: page.basePath,
    storeName: invoice.storeName !== '' ? invoice.storeName : loaded.project.name,
    storeUrl: checkUrl(invoice.storeWebsiteUrl) ?? '',
    description: payin.description,
    items: JSON.parse(invoice.items) as DisplayItem[],
    amountXof: payin.amountXof,
    requestId: payin.requestId,
    csrf: page.csrf,
    sandbox: deps.config.mode === 'sandbox' && simulatorDeskOf(deps.connector) !== undefined,
  };
}
