import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WithConfig, WithConnector, WithDb } from '../../commands/context.js';
import { deliverNotification } from '../../commands/operator-notification.js';
import { checkUrl } from '../../core/checkout.js';
import { operatorById } from '../../core/operators.js';
import { SIM_LIST_LIMIT_MAX, type SimulatorDesk } from '../../operators/simulator-desk.js';
import { simulatorDeskOf } from '../../operators/simulator.js';
import { latestSandboxSms } from '../../store/simulator.js';
import { csrfValid, ensureCsrf } from '../checkout/csrf.js';
import { html } from '../../util/html.js';
import { layout, sendPage } from '../checkout/html.js';
import { formatXof, negotiateLang } from '../checkout/i18n.js';

/**
 * Sandbox actions on the simulated operators (sandbox mode only; README "Sandbox actions"):
 *
 *   POST /sandbox/ussd/dial                 {phone, code?}: the customer dials a USSD code
 *   GET  /sandbox/pushes?phone=&limit=       requests waiting for the customer's approval
 *   POST /sandbox/pushes/:id/approve|decline the customer's answer
 *   GET|POST /sandbox/operator-portal/:id    the simulated operator portal (operator redirect)
 *   GET|POST /sandbox/console                the customers' phones in one page (approve, decline, dial)
 *
 * Decisions reach the gateway as the operator's signed notification, parsed like a real one.
 * These routes have no credentials: the sandbox holds no real money, and ids are random. The JSON
 * actions demand `Content-Type: application/json`, which a cross-site page can only send after a
 * CORS preflight that Cauri never grants; the HTML forms carry the CSRF value instead (ADR 0016).
 */
/**
 * What the sandbox routes need: the simulated operators (the connector), the public URL for the
 * CSRF cookie, the database for the console's SMS, and whatever delivering a notification needs.
 */
type SandboxOperatorDeps = WithDb & WithConnector & WithConfig<'publicUrl'> & NotificationDeps;
type NotificationDeps = Parameters<typeof deliverNotification>[0];

export function registerSandboxOperatorRoutes(app: FastifyInstance, deps: SandboxOperatorDeps): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        done(
          null,
          Object.fromEntries(
            [...new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))].slice(0, 16),
          ),
        );
      },
    );
    const deskOr = (reply: FastifyReply): SimulatorDesk | undefined => {
      const desk = simulatorDeskOf(deps.connector);
      if (!desk) void reply.code(409).send({ error: 'the operator simulator is not in use' });
      return desk;
    };

    scope.post('/sandbox/ussd/dial', { onRequest: requireJson }, async (request, reply) => {
      const desk = deskOr(reply);
      if (!desk) return reply;
      const body = bodyOf(request);
      const code = typeof body.code === 'string' && body.code !== '' ? body.code : undefined;
      const dialled = await desk.dial(typeof body.phone === 'string' ? body.phone : '', code);
      if (!dialled.ok) return reply.code(400).send({ error: dialled.error });
      const value = dialled.value;
      if (value.action === 'otp') {
        return {
          action: 'otp',
          phone: value.phone,
          operator_id: value.operatorId,
          operator_name: value.operatorName,
          otp: value.otp,
          expires_at: new Date(value.expiresAtMs).toISOString(),
        };
      }
      const settled = await deliverNotification(deps, value.notification);
      return { action: 'approved', phone: value.phone, push: value.approval, settled };
    });

    scope.get<{ Querystring: { phone?: string; limit?: string } }>(
      '/sandbox/pushes',
      async (request, reply) => {
        const desk = deskOr(reply);
        if (!desk) return reply;
        const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), SIM_LIST_LIMIT_MAX);
        return { pushes: await desk.listPending(request.query.phone, limit) };
      },
    );

    scope.post<{ Params: { id: string; decision: string } }>(
      '/sandbox/pushes/:id/:decision',
      { onRequest: requireJson },
      async (request, reply) => {
        const desk = deskOr(reply);
        if (!desk) return reply;
        const { id, decision } = request.params;
        if (decision !== 'approve' && decision !== 'decline')
          return reply.code(404).send({ error: 'approve or decline' });
        const decided = await desk.decide(id, decision);
        if (!decided.ok) return reply.code(409).send({ error: decided.error });
        const settled = await deliverNotification(deps, decided.value.notification);
        return { push: decided.value.approval, decision, settled };
      },
    );

    scope.get('/sandbox/console', async (request, reply) => {
      const desk = deskOr(reply);
      if (!desk) return reply;
      return sendPage(
        reply,
        200,
        await renderConsole(deps, desk, request, ensureCsrf(request, reply, deps.config.publicUrl)),
      );
    });

    scope.post('/sandbox/console', async (request, reply) => {
      const desk = deskOr(reply);
      if (!desk) return reply;
      const body = bodyOf(request);
      const back = (params: Record<string, string>) =>
        reply
          .code(303)
          .header('location', `/sandbox/console?${new URLSearchParams(params).toString()}`)
          .send();
      if (!csrfValid(request, body.csrf, deps.config.publicUrl))
        return back({ message: 'The page expired; try again.' });
      const text = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
      if (text('action') === 'dial') {
        const dialled = await desk.dial(text('phone'));
        if (!dialled.ok) return back({ message: dialled.error });
        if (dialled.value.action === 'otp')
          return back({
            message: `${dialled.value.operatorName} ${dialled.value.phone}: payment code ${dialled.value.otp}`,
          });
        await deliverNotification(deps, dialled.value.notification);
        return back({ message: `${dialled.value.approval.id} approved by dialling` });
      }
      const decision = text('action') === 'approve' ? 'approve' : 'decline';
      const decided = await desk.decide(text('id'), decision);
      if (!decided.ok) return back({ message: decided.error });
      await deliverNotification(deps, decided.value.notification);
      return back({
        message: `${decided.value.approval.id} ${decision === 'approve' ? 'approved' : 'declined'}`,
      });
    });

    scope.get<{ Params: { id: string } }>('/sandbox/operator-portal/:id', async (request, reply) => {
      const desk = deskOr(reply);
      if (!desk) return reply;
      const lang = negotiateLang(
        (request.query as Record<string, unknown>).lang,
        request.headers['accept-language'],
      );
      const found = await desk.find(request.params.id);
      if (!found || found.kind !== 'portal')
        return sendPage(
          reply,
          404,
          layout(
            { lang, title: 'Not found' },
            html`<main><section class="card"><h1>Not found</h1></section></main>`,
          ),
        );
      const csrf = ensureCsrf(request, reply, deps.config.publicUrl);
      const operatorName = operatorById(found.operatorId)?.name ?? found.operatorId;
      const decided = found.status !== 'pending';
      const body = html`<main><section class="card sandbox" data-testid="portal">
<p class="muted">${operatorName} — simulated payment portal (sandbox)</p>
<h1>${found.merchantName}</h1><p>${found.description}</p>
<p class="amount">${formatXof(lang, found.amountXof)}</p><p class="muted">${found.phone}</p>
${
  decided
    ? html`<p class="notice">${found.status}</p>`
    : html`<div class="row">
<form method="post" action="/sandbox/operator-portal/${found.id}"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="decision" value="approve"><button type="submit">${lang === 'fr' ? 'Payer' : 'Pay'}</button></form>
<form method="post" action="/sandbox/operator-portal/${found.id}"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="decision" value="decline"><button class="danger" type="submit">${lang === 'fr' ? 'Refuser' : 'Decline'}</button></form>
</div>`
}
</section></main>`;
      return sendPage(reply, 200, layout({ lang, title: operatorName }, body));
    });

    scope.post<{ Params: { id: string } }>('/sandbox/operator-portal/:id', async (request, reply) => {
      const desk = deskOr(reply);
      if (!desk) return reply;
      const body = bodyOf(request);
      const found = await desk.find(request.params.id);
      if (!found || found.kind !== 'portal') return reply.code(404).send({ error: 'no such request' });
      if (!csrfValid(request, body.csrf, deps.config.publicUrl))
        return reply.code(303).header('location', `/sandbox/operator-portal/${found.id}`).send();
      const decision = body.decision === 'approve' ? 'approve' : 'decline';
      const decided = await desk.decide(found.id, decision);
      if (decided.ok) await deliverNotification(deps, decided.value.notification);
      // The portal sends the browser back where Cauri asked: the payment page, which shows the outcome.
      const back = checkUrl(found.returnUrl);
      return reply
        .code(303)
        .header('location', back !== undefined && back !== '' ? back : `/sandbox/operator-portal/${found.id}`)
        .send();
    });
    done();
  });
}

export const CONSOLE_LIST_MAX = 50;

/**
 * The sandbox console (`GET /sandbox/console`): the customers' phones in one page. Requests waiting
 * for an approval, with Approve and Decline; a Dial form (payment codes, guided USSD); the latest
 * SMS. Plain HTML like the payment page, under the same CSP and CSRF rules.
 */
async function renderConsole(
  deps: WithDb,
  desk: SimulatorDesk,
  request: FastifyRequest,
  csrf: string,
): Promise<string> {
  const pending = await desk.listPending(undefined, CONSOLE_LIST_MAX);
  const sms = await deps.db.command((tx) => latestSandboxSms(tx, 10));
  const message = (request.query as Record<string, unknown>).message;
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}">`;
  const rows = pending.map(
    (
      p,
    ) => html`<tr><td><code>${p.id}</code><br><span class="muted">${p.kind}</span></td><td>${p.phone}<br><span class="muted">${p.operatorName}</span></td><td class="num">${formatXof('en', p.amountXof)}<br><span class="muted">${p.merchantName}</span></td>
<td><div class="row"><form method="post" action="/sandbox/console">${hidden}<input type="hidden" name="id" value="${p.id}"><input type="hidden" name="action" value="approve"><button type="submit">Approve</button></form>
<form method="post" action="/sandbox/console">${hidden}<input type="hidden" name="id" value="${p.id}"><input type="hidden" name="action" value="decline"><button class="danger" type="submit">Decline</button></form></div></td></tr>`,
  );
  const body = html`<main>
<header class="top"><span>Cauri sandbox console</span></header>
${typeof message === 'string' && message.length <= 300 ? html`<p class="notice" data-testid="message">${message}</p>` : ''}
<section class="card"><h2>Waiting for the customer</h2>
${rows.length === 0 ? html`<p class="muted">Nothing is waiting.</p>` : html`<table><tbody>${rows}</tbody></table>`}
<a class="button secondary" href="/sandbox/console">Refresh</a></section>
<section class="card"><h2>Dial the operator's USSD code</h2>
<form method="post" action="/sandbox/console">${hidden}<input type="hidden" name="action" value="dial">
<label for="phone">Customer number</label><input id="phone" name="phone" type="tel" inputmode="tel" maxlength="20" required>
<button type="submit">Dial</button></form></section>
<section class="card"><h2>Latest SMS</h2>${sms.length === 0 ? html`<p class="muted">No SMS.</p>` : html`<table><tbody>${sms.map((m) => html`<tr><td>${m.phone}</td><td>${m.body}</td></tr>`)}</tbody></table>`}</section>
</main>`;
  return layout({ lang: 'en', title: 'Cauri sandbox console' }, body);
}

/**
 * Refuses a JSON action posted without `Content-Type: application/json` (HTTP 415): a form or a
 * `text/plain` fetch from another site is a "simple" request that browsers send without asking,
 * and a dial needs nothing secret, only a phone number (ADR 0016).
 */
async function requireJson(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return undefined;
  // Fastify's rule for async hooks: send, then return the reply so that the handler does not run.
  return reply.code(415).send({ error: 'Content-Type must be application/json' });
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null
    ? (request.body as Record<string, unknown>)
    : {};
}
