import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WithProjectCache } from '../../commands/context.js';
import {
  OTP_SENT_MESSAGE,
  type PayinRequest,
  issueWalletOtp,
  payWithWalletOtp,
} from '../../commands/payin-wallet.js';
import { authenticate } from '../../commands/projects.js';
import { type OutboundSms, sendOtpSms } from '../../commands/otp-delivery.js';
import { checkUrl } from '../../core/checkout.js';
import { type CustomData, parseCustomData } from '../../core/custom-data.js';
import { parseAmountXof } from '../../core/money.js';
import { type Result, fail, ok, subCodeFor } from '../../core/result-codes.js';
import { firstError, payinCommande, text } from '../schemas.js';
import { payinCreatedBody } from '../wire.js';
import { envelopeOf, idempotentCreate } from './common.js';

/** What `debitotp` answers when the SMS provider could not take the code after its retries. */
export const OTP_NOT_SENT_MESSAGE = 'The OTP could not be sent. Please try again later.';

/** The French text of an accepted payin (spec §2.2, §2.5). */
export const PAYIN_ACCEPTED_TEXT = 'Votre requête est en cours de traitement';

/**
 * LigdiCash Wallet payin: `GET /pay/v02/debitotp/{phone}/{amount}` (spec §2.4) and
 * `POST /pay/v02/debitwallet/withotp` (spec §2.5), also under `/pay/v01/` which one merchant used.
 */
/** What the wallet routes need: the API's idempotency, issuing and checking OTPs, and the SMS provider. */
type WalletRouteDeps = Parameters<typeof idempotentCreate>[0] &
  Parameters<typeof issueWalletOtp>[0] &
  Parameters<typeof payWithWalletOtp>[0] &
  WithProjectCache;

export function registerWalletOtpRoutes(app: FastifyInstance, deps: WalletRouteDeps): void {
  const recentSends = new RecentSends();
  for (const version of ['v02', 'v01']) {
    app.get<{ Params: { phone: string; amount: string } }>(
      `/pay/${version}/debitotp/:phone/:amount`,
      { config: { wiki: 'createInvoice' } },
      async (request) => {
        // This endpoint alone answers `{error, message}` instead of the envelope (spec §2.4).
        type Answer = { error: boolean; message: string; outbound?: OutboundSms; walletMissing?: true };
        const answer = await deps.db.command(async (tx): Promise<Answer> => {
          const amountXof = parseAmountXof(request.params.amount);
          const auth = await authenticate(
            tx,
            request.headers.apikey,
            request.headers.authorization,
            deps.projects,
          );
          if (!auth.ok)
            return { error: true, message: subCodeFor('createInvoice', 'auth_failed').description };
          if (amountXof === undefined) return { error: true, message: 'Invalid amount' };
          const issued = await issueWalletOtp(deps, tx, auth.value, request.params.phone, amountXof);
          if (!issued.ok)
            return {
              error: true,
              message: issued.detail ?? subCodeFor('createInvoice', issued.code).description,
            };
          const { outbound, walletMissing } = issued.value;
          return {
            error: false,
            message: OTP_SENT_MESSAGE,
            ...(outbound ? { outbound } : {}),
            ...(walletMissing ? { walletMissing } : {}),
          };
        });
        const { outbound, walletMissing, ...wire } = answer;
        if (deps.sms === undefined) return wire;
        // A number without a wallet gets no SMS, yet answers as a real send just did, as late and
        // with the same outcome, so that neither the text nor the timing tells it apart (ADR 0016).
        if (walletMissing)
          return (await recentSends.imitate()) ? wire : { error: true, message: OTP_NOT_SENT_MESSAGE };
        if (outbound === undefined) return wire;
        // The SMS leaves after the commit (ADR 0014); "sent" is said only once the provider took it.
        const startedMs = performance.now();
        const sent = await sendOtpSms(deps.db, deps.sms, outbound, () => deps.clock.nowMs());
        recentSends.record(performance.now() - startedMs, sent);
        return sent ? wire : { error: true, message: OTP_NOT_SENT_MESSAGE };
      },
    );

    app.post(`/pay/${version}/debitwallet/withotp`, { config: { wiki: 'createInvoice' } }, (request) =>
      idempotentCreate(deps, request, 'createInvoice', 'debitwallet/withotp', async (tx, project) => {
        const parsed = parsePayinCommande(request.body);
        if (!parsed.ok) return { body: envelopeOf('createInvoice', parsed), succeeded: false };
        const payin = await payWithWalletOtp(deps, tx, project, parsed.value);
        if (!payin.ok) return { body: envelopeOf('createInvoice', payin), succeeded: false };
        return { body: payinCreatedBody(payin.value, PAYIN_ACCEPTED_TEXT), succeeded: true };
      }),
    );
  }
}

/**
 * The last real OTP sends (how long each took, whether the provider took it), for the numbers
 * without a wallet to imitate. Before any send, the wait is a typical provider round trip.
 */
export const IMITATED_SENDS_MAX = 16;
export const IMITATED_SEND_DEFAULT_MS = 250;
export const IMITATED_SEND_MAX_MS = 30_000;

export class RecentSends {
  private readonly sends: { durationMs: number; sent: boolean }[] = [];

  record(durationMs: number, sent: boolean): void {
    this.sends.push({ durationMs: Math.min(Math.max(durationMs, 0), IMITATED_SEND_MAX_MS), sent });
    if (this.sends.length > IMITATED_SENDS_MAX) this.sends.shift();
  }

  /** Waits as long as a recent send, picked at random, took; answers whether that send succeeded. */
  async imitate(): Promise<boolean> {
    const sample = this.sends.length === 0 ? undefined : this.sends[randomInt(this.sends.length)];
    // The outcome follows the latest send: during a provider outage every number hears "not sent".
    const latest = this.sends.at(-1);
    await new Promise((resolve) => setTimeout(resolve, sample?.durationMs ?? IMITATED_SEND_DEFAULT_MS));
    return latest?.sent ?? true;
  }
}

/**
 * Turns a `commande` into a payin request, leniently (official-sdks §1): integral floats and digit
 * strings for amounts, `devise` in any case, PHP's `[]` custom data, and the JS SDK's direct-payin
 * bug where the callback URL arrives as `actions.cancel_url` with `callback_url: null` (ADR 0004).
 */
export function parsePayinCommande(body: unknown): Result<PayinRequest> {
  if (!payinCommande.Check(body)) return fail('invalid_input', firstError(payinCommande, body));
  const { invoice, actions } = body.commande;
  const amountXof = parseAmountXof(invoice.total_amount);
  if (amountXof === undefined)
    return fail('amount_out_of_range', 'total_amount must be a whole number of XOF');
  const devise = text(invoice.devise);
  if (devise !== '' && devise.toUpperCase() !== 'XOF') return fail('invalid_input', 'devise must be XOF');
  const customData = parseCustomData(body.commande.custom_data);
  if (typeof customData === 'string') return fail('invalid_input', customData);
  const callback = text(actions?.callback_url);
  const callbackUrl =
    callback !== '' ? callback : actions?.callback_url === null ? text(actions.cancel_url) : '';
  // Checked when the payin is created, not first when the callback fails (ADR 0016).
  if (checkUrl(callbackUrl) === undefined)
    return fail('invalid_input', 'actions.callback_url must be an http(s) URL');
  return ok({
    amountXof,
    customer: text(invoice.customer),
    otp: text(invoice.otp),
    description: text(invoice.description),
    callbackUrl,
    customData: customData satisfies CustomData,
    externalId: text(invoice.external_id),
  });
}
