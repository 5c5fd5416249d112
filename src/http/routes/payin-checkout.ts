import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WithConfig, WithProjectCache } from '../../commands/context.js';
import type { Attempt, PayinChannel } from '../../commands/payin-attempt.js';
import {
  type CheckoutRequest,
  type CreateDeps,
  createDirectPayin,
  createHostedInvoice,
} from '../../commands/payin-create.js';
import { sendAttempt } from '../../commands/payin-flow.js';
import type { Recorded } from '../../commands/payin-settle.js';
import { commandFor } from '../../commands/request-context.js';
import { authenticate } from '../../commands/projects.js';
import { type DisplayItem, checkUrl, paymentPageUrl } from '../../core/checkout.js';
import type { Payin } from '../../core/payin.js';
import { type Result, fail, ok } from '../../core/result-codes.js';
import { getPayin } from '../../store/payins.js';
import { errorEnvelope } from '../envelope.js';
import { firstError, payinCommande, text } from '../schemas.js';
import { payinCreatedBody } from '../wire.js';
import { envelopeOf, idempotentCreate } from './common.js';
import { PAYIN_ACCEPTED_TEXT, parsePayinCommande } from './payin-wallet-otp.js';

/**
 * The checkout invoice (spec §2.1, §2.2):
 *
 * - `POST /pay/v01/redirect/checkout-invoice/create` (E1) answers the payment page's URL in
 *   `response_text` and its token; the customer pays on the page (checkout-page.ts).
 * - `POST /pay/v01/straight/checkout-invoice/create` (E2) asks the operator of `invoice.customer`
 *   at once and answers per its validation mode (spec §5): the literal French text for USSD OTP,
 *   USSD push and guided USSD, the payment page for a LigdiCash redirect, the operator's portal
 *   for an operator redirect. A wrong or expired USSD OTP is `Echec (Code15)`/`(Code16)`.
 */
/** What the checkout routes need: the API's authentication and idempotency, creating and sending payins. */
type CheckoutRouteDeps = Parameters<typeof idempotentCreate>[0] &
  CreateDeps &
  Parameters<typeof sendAttempt>[0] &
  WithProjectCache;

export function registerPayinCheckoutRoutes(app: FastifyInstance, deps: CheckoutRouteDeps): void {
  app.post('/pay/v01/redirect/checkout-invoice/create', { config: { wiki: 'createInvoice' } }, (request) =>
    idempotentCreate(
      deps,
      request,
      'createInvoice',
      'redirect/checkout-invoice/create',
      async (tx, project) => {
        const parsed = parseCheckoutCommande(request.body, 'hosted');
        if (!parsed.ok) return { body: envelopeOf('createInvoice', parsed), succeeded: false };
        const payin = await createHostedInvoice(deps, tx, project, parsed.value);
        if (!payin.ok) return { body: envelopeOf('createInvoice', payin), succeeded: false };
        return {
          body: payinCreatedBody(payin.value, paymentPageUrl(deps.config.publicUrl, payin.value.token)),
          succeeded: true,
        };
      },
    ),
  );

  app.post('/pay/v01/straight/checkout-invoice/create', { config: { wiki: 'createInvoice' } }, (request) =>
    createStraight(deps, request),
  );
}

async function createStraight(deps: CheckoutRouteDeps, request: FastifyRequest): Promise<unknown> {
  // First command: authenticate, check, and commit the payin with its hold (the intent).
  const started = await commandFor(
    deps.db,
    request.id,
    async (tx): Promise<{ envelope: unknown } | { attempt: Attempt }> => {
      const auth = await authenticate(
        tx,
        request.headers.apikey,
        request.headers.authorization,
        deps.projects,
      );
      if (!auth.ok) return { envelope: envelopeOf('createInvoice', auth) };
      const parsed = parseCheckoutCommande(request.body, 'direct');
      if (!parsed.ok) return { envelope: envelopeOf('createInvoice', parsed) };
      const attempt = await createDirectPayin(deps, tx, auth.value, parsed.value);
      return attempt.ok ? { attempt: attempt.value } : { envelope: envelopeOf('createInvoice', attempt) };
    },
  );
  if ('envelope' in started) return started.envelope;
  // Then the operator, with no transaction open, and its answer in a second command.
  const recorded = await sendAttempt(deps, started.attempt, request.id);
  if (recorded.disposition === 'refused')
    return errorEnvelope('createInvoice', recorded.refusal ?? 'otp_invalid');
  const payin = await deps.db.command((tx) => getPayin(tx, started.attempt.payinId));
  return payinCreatedBody(payin, responseTextOf(deps, started.attempt, recorded, payin));
}

/** `response_text` of an accepted direct payin, per validation mode (spec §2.2, §5). */
function responseTextOf(
  deps: WithConfig<'publicUrl'>,
  attempt: Attempt,
  recorded: Recorded,
  payin: Payin,
): string {
  switch (attempt.mode) {
    case 'ligdicash_redirect':
      return paymentPageUrl(deps.config.publicUrl, payin.token);
    case 'operator_redirect':
      return recorded.redirectUrl ?? paymentPageUrl(deps.config.publicUrl, payin.token);
    default:
      return PAYIN_ACCEPTED_TEXT;
  }
}

/**
 * The `commande` of E1/E2, leniently (official-sdks §1; ADR 0004): what the wallet payin accepts,
 * plus the store, the browser URLs and the items shown on the page. Browser and callback URLs must
 * be http(s): the page and the callback sender follow them. The store's website is free text. On E1 `callback_url` is only ever `actions.callback_url`; the JS
 * SDK's misplaced callback (`callback_url: null`, the URL in `cancel_url`) exists on E2 only.
 */
export function parseCheckoutCommande(body: unknown, channel: PayinChannel): Result<CheckoutRequest> {
  const base = parsePayinCommande(body);
  if (!base.ok) return base;
  if (!payinCommande.Check(body)) return fail('invalid_input', firstError(payinCommande, body));
  const { invoice, store, actions } = body.commande;
  const urls = {
    'actions.return_url': channel === 'hosted' ? text(actions?.return_url) : '',
    'actions.cancel_url': channel === 'hosted' ? text(actions?.cancel_url) : '',
    'actions.callback_url': channel === 'hosted' ? text(actions?.callback_url) : base.value.callbackUrl,
  };
  for (const [name, url] of Object.entries(urls)) {
    if (checkUrl(url) === undefined) return fail('invalid_input', `${name} must be an http(s) URL`);
  }
  const items: DisplayItem[] = (invoice.items ?? []).map((item) => ({
    name: text(item.name),
    description: text(item.description),
    quantity: text(item.quantity),
    unitPrice: text(item.unit_price),
    totalPrice: text(item.total_price),
  }));
  return ok({
    ...base.value,
    callbackUrl: urls['actions.callback_url'],
    storeName: text(store?.name),
    // Shown only, and as a link only when it is an http(s) URL: SDK examples send a bare domain
    // (`masuperboutique.com`), which LigdiCash accepts (ADR 0016). The schema bounds its length.
    storeWebsiteUrl: text(store?.website_url),
    returnUrl: urls['actions.return_url'],
    cancelUrl: urls['actions.cancel_url'],
    items,
    customerFirstname: text(invoice.customer_firstname),
    customerLastname: text(invoice.customer_lastname),
    customerEmail: text(invoice.customer_email),
  });
}
