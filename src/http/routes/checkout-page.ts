import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../../commands/context.js';
import { verifyGatewayToken } from '../../commands/lookup.js';
import { deliverNotification } from '../../commands/operator-notification.js';
import { sendAttempt } from '../../commands/payin-flow.js';
import { commandFor } from '../../commands/request-context.js';
import { beginHostedAttempt, cancelHostedPayin, payinOperatorIds } from '../../commands/payin-operator.js';
import { toProject } from '../../commands/projects.js';
import { type DisplayItem, checkUrl, offeredOperators, withToken } from '../../core/checkout.js';
import type { Xof } from '../../core/money.js';
import { type ValidationMode, operatorById, operatorForPhone } from '../../core/operators.js';
import { simulatorDeskOf } from '../../operators/simulator.js';
import type { InvoiceTable } from '../../store/schema-payin-surface.js';
import type { PayinTable, ProjectTable } from '../../store/schema.js';
import { csrfValid, ensureCsrf } from '../checkout/csrf.js';
import { hasNul } from '../json-guard.js';
import { sendPage } from '../checkout/html.js';
import { type Lang, type PageError, isPageError, negotiateLang } from '../checkout/i18n.js';
import {
  type InvoiceView,
  type Screen,
  renderError,
  renderInvoicePage,
  renderNotFound,
} from '../checkout/views.js';

/**
 * The hosted payment page (spec §2.10; ADR 0007), at the URL E1 puts in `response_text`:
 * `GET /directpayment/invoice/<token>` (also `/pay/invoice/<token>`, the documented form). The
 * token is the capability: whoever has the link may pay. The customer picks an operator (those the
 * project enables, only the invoice customer's when it names one), enters a number and, per the
 * operator's validation mode, a USSD OTP or waits for an approval; the page then shows the outcome
 * and sends the browser back to the shop. State changes are form POSTs to `<page>/pay`, `/cancel`,
 * and in the sandbox `/simulate` and `/dial`, answered with a redirect to the page (PRG).
 */
export const CHECKOUT_PATHS = ['/directpayment/invoice', '/pay/invoice'] as const;
const TOKEN_LENGTH_MAX = 1024;
const FIELD_LENGTH_MAX = 64;
const FIELDS_MAX = 16;

interface Loaded {
  payin: PayinTable;
  invoice: InvoiceTable;
  project: ProjectTable;
}

export function registerCheckoutPageRoutes(app: FastifyInstance, gw: Gateway): void {
  void app.register((scope, _options, done) => {
    // The page's forms are urlencoded; the API's lenient JSON parser stays everywhere else.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        // No prototype: a field named `__proto__` or `constructor` is a field like any other (issue 10).
        const fields = Object.create(null) as Record<string, string>;
        let count = 0;
        for (const [name, value] of new URLSearchParams(
          typeof body === 'string' ? body : body.toString('utf8'),
        )) {
          if (++count > FIELDS_MAX) break;
          // PostgreSQL text cannot hold a NUL: refused at the edge, as in JSON bodies (ADR 0015).
          if (hasNul(name) || hasNul(value))
            return done(
              Object.assign(new Error('NUL character in a form field'), { statusCode: 400 }),
              undefined,
            );
          fields[name] = value.slice(0, FIELD_LENGTH_MAX);
        }
        done(null, fields);
      },
    );
    scope.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      // A body that cannot be read (malformed or refused JSON, too large) is the client's fault: 400.
      if (error.statusCode !== undefined && error.statusCode < 500)
        return sendPage(reply, 400, renderError(langOf(request)));
      request.log.error({ err: error, url: request.url }, 'payment page failed');
      void sendPage(reply, 500, renderError(langOf(request)));
    });
    for (const base of CHECKOUT_PATHS) {
      scope.get(`${base}/*`, (request, reply) => showPage(gw, request, reply, base));
      scope.post(`${base}/*`, (request, reply) => handlePost(gw, request, reply, base));
    }
    done();
  });
}

function langOf(request: FastifyRequest): Lang {
  return negotiateLang(
    (request.query as Record<string, unknown> | undefined)?.lang,
    request.headers['accept-language'],
  );
}

/** The token and the action of `<base>/<token>[/<action>]`. */
function splitPath(request: FastifyRequest): { token: string; action: string | undefined } {
  const rest = (request.params as Record<string, string | undefined>)['*'] ?? '';
  const [token = '', action, ...more] = rest.split('/');
  return { token, action: more.length > 0 ? '!' : action === '' ? undefined : action };
}

async function load(gw: Gateway, token: string): Promise<Loaded | undefined> {
  if (token.length === 0 || token.length > TOKEN_LENGTH_MAX) return undefined;
  const claims = verifyGatewayToken(gw, token);
  if (claims?.kind !== 'payin') return undefined;
  return gw.db.command(async (tx) => {
    const payin = await tx
      .selectFrom('payins')
      .selectAll()
      .where('number', '=', claims.number)
      .executeTakeFirst();
    if (!payin) return undefined;
    const invoice = await tx
      .selectFrom('invoices')
      .selectAll()
      .where('payin_id', '=', payin.id)
      .executeTakeFirst();
    if (!invoice) return undefined;
    const project = await tx
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', payin.project_id)
      .executeTakeFirstOrThrow();
    return { payin, invoice, project };
  });
}

/** Where the browser goes when the customer is done: `return_url` or `cancel_url` with `?token=`, else the shop. */
function merchantTarget(loaded: Loaded, which: 'return' | 'cancel'): string | undefined {
  const { invoice, payin } = loaded;
  const order =
    which === 'return' ? [invoice.return_url, invoice.cancel_url] : [invoice.cancel_url, invoice.return_url];
  const url = order.find((candidate) => candidate !== '' && checkUrl(candidate) !== undefined);
  if (url !== undefined) return withToken(url, payin.token);
  return invoice.store_website_url !== '' && checkUrl(invoice.store_website_url) !== undefined
    ? invoice.store_website_url
    : undefined;
}

function screenOf(gw: Gateway, loaded: Loaded, q: Record<string, unknown>): Screen {
  const { payin, invoice } = loaded;
  const hosted = invoice.channel === 'hosted';
  if (payin.status === 'completed') return withTarget('completed', merchantTarget(loaded, 'return'));
  if (payin.status !== 'pending') {
    const cancelled = payin.status_reason?.startsWith('cancelled by the customer') === true;
    return withTarget(
      cancelled ? 'cancelled' : 'failed',
      merchantTarget(loaded, cancelled ? 'cancel' : 'return'),
    );
  }
  if (q.left === '1' && hosted) return withTarget('left', merchantTarget(loaded, 'cancel'));
  const operator = payin.operator_id !== null ? operatorById(payin.operator_id) : undefined;
  if (invoice.reference !== null && operator !== undefined) {
    const redirectUrl = invoice.redirect_url !== null ? checkUrl(invoice.redirect_url) : undefined;
    const canSimulate =
      gw.config.mode === 'sandbox' &&
      simulatorDeskOf(gw.connector) !== undefined &&
      invoice.validation_mode !== 'ussd_otp';
    return {
      kind: 'waiting',
      operator,
      phone: payin.customer ?? '',
      mode: (invoice.validation_mode ?? operator.validationMode) as ValidationMode,
      ...(redirectUrl ? { redirectUrl } : {}),
      go: q.go === '1',
      canCancel: hosted,
      canSimulate,
    };
  }
  const project = toProject(loaded.project);
  const filter =
    invoice.customer_filter !== '' ? operatorForPhone(invoice.customer_filter, gw.prefixes) : undefined;
  const offered = project.payinEnabled
    ? offeredOperators(payinOperatorIds(gw, project), Number(payin.amount_xof) as Xof, filter)
    : [];
  const selected = offered.find((op) => op.id === q.op) ?? (offered.length === 1 ? offered[0] : undefined);
  if (!hosted || selected === undefined)
    return { kind: 'choose', operators: hosted ? offered : [], canCancel: hosted };
  const typed = typeof q.phone === 'string' && /^\+?\d{8,15}$/.test(q.phone) ? q.phone : undefined;
  const simCode =
    gw.config.mode === 'sandbox' && typeof q.simcode === 'string' && /^\d{4,8}$/.test(q.simcode)
      ? q.simcode
      : undefined;
  return {
    kind: 'form',
    operator: selected,
    phone: invoice.customer_filter !== '' ? invoice.customer_filter : (typed ?? selected.countryCode),
    canChange: offered.length > 1,
    canCancel: true,
    ...(simCode !== undefined ? { simCode } : {}),
  };
}

function withTarget(kind: 'completed' | 'failed' | 'cancelled' | 'left', target: string | undefined): Screen {
  return target !== undefined ? { kind, target } : { kind };
}

async function showPage(
  gw: Gateway,
  request: FastifyRequest,
  reply: FastifyReply,
  base: string,
): Promise<FastifyReply> {
  const lang = langOf(request);
  const { token, action } = splitPath(request);
  const loaded = action === undefined ? await load(gw, token) : undefined;
  if (!loaded) return sendPage(reply, 404, renderNotFound(lang));
  const q = (request.query ?? {}) as Record<string, unknown>;
  const view = viewOf(gw, loaded, lang, `${base}/${token}`, ensureCsrf(request, reply, gw.config.publicUrl));
  const error: PageError | undefined = isPageError(q.e) ? q.e : undefined;
  return sendPage(reply, 200, renderInvoicePage(view, screenOf(gw, loaded, q), error));
}

function viewOf(gw: Gateway, loaded: Loaded, lang: Lang, basePath: string, csrf: string): InvoiceView {
  const { payin, invoice } = loaded;
  return {
    lang,
    basePath,
    storeName: invoice.store_name !== '' ? invoice.store_name : loaded.project.name,
    storeUrl: checkUrl(invoice.store_website_url) ?? '',
    description: payin.description,
    items: JSON.parse(invoice.items) as DisplayItem[],
    amountXof: Number(payin.amount_xof),
    requestId: payin.request_id,
    csrf,
    sandbox: gw.config.mode === 'sandbox' && simulatorDeskOf(gw.connector) !== undefined,
  };
}

function redirectTo(reply: FastifyReply, path: string, params: Record<string, string>): FastifyReply {
  return reply
    .code(303)
    .header('location', `${path}?${new URLSearchParams(params).toString()}`)
    .send();
}

async function handlePost(
  gw: Gateway,
  request: FastifyRequest,
  reply: FastifyReply,
  base: string,
): Promise<FastifyReply> {
  const { token, action } = splitPath(request);
  const fields = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
    string,
    unknown
  >;
  const lang = negotiateLang(fields.lang, request.headers['accept-language']);
  const loaded = await load(gw, token);
  if (!loaded || action === undefined) return sendPage(reply, 404, renderNotFound(lang));
  const page = `${base}/${token}`;
  if (!csrfValid(request, fields.csrf, gw.config.publicUrl))
    return redirectTo(reply, page, { lang, e: 'csrf' });
  const field = (name: string) => (typeof fields[name] === 'string' ? fields[name] : '');
  const hosted = loaded.invoice.channel === 'hosted';
  switch (action) {
    case 'pay': {
      if (!hosted) return redirectTo(reply, page, { lang });
      const begun = await commandFor(gw.db, request.id, (tx) =>
        beginHostedAttempt(gw, tx, loaded.payin.id, {
          operatorId: field('operator'),
          phone: field('phone'),
          otp: field('otp'),
        }),
      );
      if (!begun.ok)
        return redirectTo(reply, page, {
          lang,
          op: field('operator'),
          phone: field('phone'),
          e: begun.error,
        });
      const recorded = await sendAttempt(gw, begun.attempt, request.id);
      if (recorded.disposition === 'refused')
        return redirectTo(reply, page, {
          lang,
          op: field('operator'),
          phone: field('phone'),
          e: recorded.refusal ?? 'otp_invalid',
        });
      return redirectTo(reply, page, recorded.redirectUrl !== undefined ? { lang, go: '1' } : { lang });
    }
    case 'cancel': {
      if (!hosted) return redirectTo(reply, page, { lang });
      const result = await commandFor(gw.db, request.id, (tx) => cancelHostedPayin(gw, tx, loaded.payin.id));
      return redirectTo(reply, page, result === 'left' ? { lang, left: '1' } : { lang });
    }
    case 'simulate':
      return simulate(gw, reply, loaded, page, lang, field('decision'));
    case 'dial':
      return dial(gw, reply, page, lang, field('op'), field('phone'));
    default:
      return sendPage(reply, 404, renderNotFound(lang));
  }
}

/** Sandbox only: the customer's answer to a push, app or portal request, as if given on the phone. */
async function simulate(
  gw: Gateway,
  reply: FastifyReply,
  loaded: Loaded,
  page: string,
  lang: Lang,
  decision: string,
): Promise<FastifyReply> {
  const desk = simulatorDeskOf(gw.connector);
  const reference = loaded.invoice.reference;
  if (
    gw.config.mode !== 'sandbox' ||
    desk === undefined ||
    reference === null ||
    (decision !== 'approve' && decision !== 'decline')
  ) {
    return redirectTo(reply, page, { lang });
  }
  const decided = await desk.decide(reference, decision);
  if (decided.ok) await deliverNotification(gw, decided.value.notification);
  return redirectTo(reply, page, { lang });
}

/** Sandbox only: the customer dials the operator's USSD code (a payment code, or a guided USSD approval). */
async function dial(
  gw: Gateway,
  reply: FastifyReply,
  page: string,
  lang: Lang,
  operatorId: string,
  phone: string,
): Promise<FastifyReply> {
  const desk = simulatorDeskOf(gw.connector);
  if (gw.config.mode !== 'sandbox' || desk === undefined) return redirectTo(reply, page, { lang });
  const dialled = await desk.dial(phone);
  if (!dialled.ok) return redirectTo(reply, page, { lang, op: operatorId, phone, e: 'dial_failed' });
  if (dialled.value.action === 'approved') {
    await deliverNotification(gw, dialled.value.notification);
    return redirectTo(reply, page, { lang });
  }
  return redirectTo(reply, page, {
    lang,
    op: operatorId,
    phone: dialled.value.phone,
    simcode: dialled.value.otp,
  });
}
