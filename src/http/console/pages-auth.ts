import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signIn } from '../../commands/console-sign-in.js';
import { CONSOLE_POLICY, endSession } from '../../commands/console-users.js';
import type { WithClock, WithConfig, WithDb } from '../../commands/context.js';
import { normalizeIp } from '../../commands/projects.js';
import { csrfValid, ensureCsrf } from '../checkout/csrf.js';
import { type SafeHtml, html } from '../../util/html.js';
import { consolePage, sendConsole } from './layout.js';
import { parseForm, one } from './form.js';
import {
  clearSessionCookie,
  csrfMatches,
  safeNext,
  sameSiteRequest,
  secureCookies,
  sessionCookieOf,
  setSessionCookie,
} from './session.js';
import { FailureThrottle, addressKey } from './throttle.js';
import { DEMO_CONSOLE_PASSWORD, DEMO_CONSOLE_USER } from '../../sandbox-seed.js';

const IP_FAILURES_MAX = 30;
const IP_WINDOW_MS = 15 * 60_000;
const LOCK_MINUTES = CONSOLE_POLICY.lockoutMs / 60_000;

/** What the sign-in pages use: the database, the clock, and where and in which mode the console runs. */
type AuthDeps = WithDb & WithClock & WithConfig<'publicUrl' | 'mode'>;

/** GET/POST /console/login and POST /console/logout (ADR 0008). */
export function registerConsoleAuth(scope: FastifyInstance, deps: AuthDeps): void {
  const throttle = new FailureThrottle(IP_FAILURES_MAX, IP_WINDOW_MS);
  const secure = secureCookies(deps.config.publicUrl, deps.config.mode);

  scope.get('/login', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    return loginPage(request, reply, deps, { next: safeNext(query.next), status: 200 });
  });

  scope.post('/login', async (request, reply) => {
    const form = parseForm(typeof request.body === 'string' ? request.body : '');
    const next = safeNext(one(form, 'next'));
    if (!csrfValid(request, one(form, 'csrf'), deps.config.publicUrl)) {
      return loginPage(request, reply, deps, {
        next,
        status: 403,
        error: 'The sign-in form expired. Please try again.',
      });
    }
    const ip = normalizeIp(request.ip);
    const address = addressKey(ip);
    const nowMs = deps.clock.nowMs();
    if (throttle.blocked(address, nowMs)) {
      return loginPage(request, reply, deps, {
        next,
        status: 429,
        error: 'Too many failed sign-ins from this address. Wait a few minutes and try again.',
      });
    }
    const userAgent = typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : '';
    const result = await signIn(deps.db, {
      username: one(form, 'username'),
      password: form.password?.[0] ?? '',
      ip,
      addressKey: address,
      userAgent,
      nowMs: () => deps.clock.nowMs(),
    });
    if (result.outcome === 'signed_in') {
      setSessionCookie(reply, result.token, secure);
      return reply.code(303).header('location', next).send();
    }
    // "Busy" counts as a failure (issue 10): else an address could flood without limit, taking
    // every slot that frees up, and never reach the limit that would stop it.
    throttle.fail(address, nowMs);
    if (result.outcome === 'busy') {
      return loginPage(request, reply, deps, {
        next,
        status: 503,
        error: 'Too many sign-ins at once. Try again in a moment.',
      });
    }
    const error = `Wrong username or password. After ${CONSOLE_POLICY.failedAttemptsMax} failures in a row an account is locked for ${LOCK_MINUTES} minutes.`;
    return loginPage(request, reply, deps, { next, status: 401, error, username: one(form, 'username') });
  });

  scope.post('/logout', async (request, reply) => {
    const token = sessionCookieOf(request) ?? '';
    const form = parseForm(typeof request.body === 'string' ? request.body : '');
    // Signing out needs the form's token too, so that another site cannot sign a user out.
    if (
      token !== '' &&
      csrfMatches(token, one(form, 'csrf')) &&
      sameSiteRequest(request, deps.config.publicUrl)
    ) {
      await deps.db.command((tx) => endSession(tx, token));
      clearSessionCookie(reply, secure);
    }
    return reply.code(303).header('location', '/console/login').send();
  });
}

interface LoginOptions {
  next: string;
  status: number;
  error?: string;
  username?: string;
}

function loginPage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: WithConfig<'publicUrl' | 'mode'>,
  options: LoginOptions,
): FastifyReply {
  const csrf = ensureCsrf(request, reply, deps.config.publicUrl);
  const body = html`<div class="login card">
<form method="post" action="/console/login" class="stack">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="next" value="${options.next}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${options.username ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button type="submit">Sign in</button>
</form>
${deps.config.mode === 'sandbox' ? sandboxHint() : html`<p class="muted">Accounts are created with <code>npx cauri console user create NAME</code>.</p>`}
</div>`;
  return sendConsole(
    reply,
    options.status,
    consolePage(undefined, { title: 'Sign in', section: 'none', body, error: options.error }),
  );
}

function sandboxHint(): SafeHtml {
  return html`<p class="muted">Sandbox: sign in as <code>${DEMO_CONSOLE_USER}</code> with the password <code>${DEMO_CONSOLE_PASSWORD}</code>.</p>`;
}
