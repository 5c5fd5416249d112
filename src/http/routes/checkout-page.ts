import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WithConfig } from '../../commands/context.js';
import type { TokenVerifier } from '../../commands/lookup.js';
import { csrfValid, ensureCsrf } from '../checkout/csrf.js';
import { sendPage } from '../checkout/html.js';
import { type Lang, type PageError, isPageError, negotiateLang } from '../checkout/i18n.js';
import {
  type PageActionDeps,
  type PageQuery,
  cancelAction,
  dialAction,
  payAction,
  simulateAction,
} from '../checkout/page-actions.js';
import { loadPage, screenOf, viewOf } from '../checkout/page-state.js';
import { renderError, renderInvoicePage, renderNotFound } from '../checkout/views.js';
import { hasNul } from '../json-guard.js';

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
const FIELD_LENGTH_MAX = 64;
const FIELDS_MAX = 16;

/** What the page needs: reading it, its actions, and the token's verification. */
export type CheckoutPageDeps = PageActionDeps & TokenVerifier & WithConfig<'publicUrl'>;

export function registerCheckoutPageRoutes(app: FastifyInstance, deps: CheckoutPageDeps): void {
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
      scope.get(`${base}/*`, (request, reply) => showPage(deps, request, reply, base));
      scope.post(`${base}/*`, (request, reply) => handlePost(deps, request, reply, base));
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

async function showPage(
  deps: CheckoutPageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  base: string,
): Promise<FastifyReply> {
  const lang = langOf(request);
  const { token, action } = splitPath(request);
  const loaded = action === undefined ? await loadPage(deps, token) : undefined;
  if (!loaded) return sendPage(reply, 404, renderNotFound(lang));
  const q = (request.query ?? {}) as Record<string, unknown>;
  const view = viewOf(deps, loaded, {
    lang,
    basePath: `${base}/${token}`,
    csrf: ensureCsrf(request, reply, deps.config.publicUrl),
  });
  const error: PageError | undefined = isPageError(q.e) ? q.e : undefined;
  return sendPage(reply, 200, renderInvoicePage(view, screenOf(deps, loaded, q), error));
}

function redirectTo(reply: FastifyReply, path: string, params: Record<string, string>): FastifyReply {
  return reply
    .code(303)
    .header('location', `${path}?${new URLSearchParams(params).toString()}`)
    .send();
}

async function handlePost(
  deps: CheckoutPageDeps,
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
  const loaded = await loadPage(deps, token);
  if (!loaded || action === undefined) return sendPage(reply, 404, renderNotFound(lang));
  const page = `${base}/${token}`;
  if (!csrfValid(request, fields.csrf, deps.config.publicUrl))
    return redirectTo(reply, page, { lang, e: 'csrf' });
  const field = (name: string) => (typeof fields[name] === 'string' ? fields[name] : '');
  const hosted = loaded.invoice.channel === 'hosted';
  let next: PageQuery;
  switch (action) {
    case 'pay':
      next = hosted ? await payAction(deps, loaded, lang, field, request.id) : { lang };
      break;
    case 'cancel':
      next = hosted ? await cancelAction(deps, loaded, lang, request.id) : { lang };
      break;
    case 'simulate':
      next = await simulateAction(deps, loaded, lang, field('decision'));
      break;
    case 'dial':
      next = await dialAction(deps, lang, field('op'), field('phone'));
      break;
    default:
      return sendPage(reply, 404, renderNotFound(lang));
  }
  return redirectTo(reply, page, next);
}
