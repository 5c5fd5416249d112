import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WithClock, WithConfig, WithDb } from '../../commands/context.js';
import type { NotificationDeps } from '../../commands/operator-notification.js';
import type { RefundDeps } from '../../commands/refunds.js';
import type { TokenVerifier } from '../../commands/lookup.js';
import { type ConsoleSession, recordAudit, resolveSession } from '../../commands/console-users.js';
import { normalizeIp } from '../../commands/projects.js';
import { type SafeHtml, html } from '../../util/html.js';
import { hasNul } from '../json-guard.js';
import { type PageSpec, type Viewer, consolePage, sendConsole } from './layout.js';
import { csrfMatches, csrfTokenFor, sameSiteRequest, sessionCookieOf } from './session.js';
import { type UploadedFile, isMultipartBody } from './multipart.js';
import { FIELD_LENGTH_MAX, type Form, emptyMap, one, parseForm } from './form.js';

/**
 * What the console's pages reach through `r.deps`, named one dependency at a time: the database,
 * the clock and the settings the router and pages read, and what the two commands they call need
 * (`createRefund`, which verifies tokens, and the sandbox's `deliverNotification`).
 */
export type ConsoleDeps = WithDb &
  WithClock &
  WithConfig<'mode' | 'publicUrl' | 'operatorTimeoutMs'> &
  RefundDeps &
  TokenVerifier &
  NotificationDeps;

/**
 * The console's small router: every page needs a live session (else the browser goes to the
 * sign-in page), every action also a valid CSRF token and a same-site request. Handlers get a
 * `ConsoleRequest` with the viewer, the parsed form and the query, and return a page or a redirect.
 */
export interface ConsoleRequest {
  deps: ConsoleDeps;
  viewer: Viewer;
  session: ConsoleSession;
  params: Record<string, string>;
  query: Record<string, string>;
  form: Form;
  /** The files of a `multipart/form-data` post (the reconciliation upload, multipart.ts); empty otherwise. */
  files: Record<string, UploadedFile>;
  ip: string;
  nowMs: number;
  /** Appends to the audit trail in its own transaction (for actions whose command does not). */
  audit(action: string, target: string, detail?: string): Promise<void>;
}

export type Outcome =
  | { page: PageSpec; status?: number }
  | { redirect: string }
  | { file: { contentType: string; filename: string; body: string } };

type Handler = (request: ConsoleRequest) => Promise<Outcome>;

function textRecord(value: unknown): Record<string, string> {
  const out = emptyMap<string>();
  if (value === null || typeof value !== 'object') return out;
  for (const [key, v] of Object.entries(value))
    if (typeof v === 'string') out[key] = v.slice(0, FIELD_LENGTH_MAX);
  return out;
}

export class ConsoleRouter {
  constructor(
    private readonly scope: FastifyInstance,
    private readonly deps: ConsoleDeps,
  ) {}

  page(path: string, handler: Handler): void {
    this.scope.get(path, async (request, reply) => this.run(request, reply, handler, false));
  }

  action(path: string, handler: Handler): void {
    this.scope.post(path, async (request, reply) => this.run(request, reply, handler, true));
  }

  private async run(
    request: FastifyRequest,
    reply: FastifyReply,
    handler: Handler,
    mutating: boolean,
  ): Promise<FastifyReply> {
    const token = sessionCookieOf(request) ?? '';
    const nowMs = this.deps.clock.nowMs();
    const session =
      token === '' ? undefined : await this.deps.db.command((tx) => resolveSession(tx, token, nowMs));
    if (session === undefined) {
      if (mutating)
        return sendConsole(
          reply,
          403,
          consolePage(undefined, { title: 'Signed out', section: 'none', body: signInAgain() }),
        );
      const next = encodeURIComponent(request.url.slice(0, 400));
      return reply.code(303).header('location', `/console/login?next=${next}`).send();
    }
    const multipart = isMultipartBody(request.body) ? request.body : undefined;
    const form = multipart?.fields ?? parseForm(typeof request.body === 'string' ? request.body : '');
    const params = textRecord(request.params);
    const query = textRecord(request.query);
    // PostgreSQL text cannot hold a NUL: refused here, as JSON bodies are (issue 10, ADR 0015).
    if (
      [params, query].some((fields) => Object.values(fields).some(hasNul)) ||
      Object.values(form).some((values) => values.some(hasNul))
    ) {
      return sendConsole(
        reply,
        400,
        consolePage(undefined, {
          title: 'Bad request',
          section: 'none',
          body: html`<p>A field holds a character the console does not accept. <a href="/console">Go to the dashboard</a>.</p>`,
        }),
      );
    }
    if (
      mutating &&
      !(csrfMatches(token, one(form, 'csrf')) && sameSiteRequest(request, this.deps.config.publicUrl))
    ) {
      return sendConsole(
        reply,
        403,
        consolePage(undefined, { title: 'Form expired', section: 'none', body: signInAgain() }),
      );
    }
    const viewer: Viewer = {
      username: session.username,
      csrf: csrfTokenFor(token),
      mode: this.deps.config.mode,
    };
    const ip = normalizeIp(request.ip);
    const outcome = await handler({
      deps: this.deps,
      viewer,
      session,
      params,
      query,
      form,
      files: multipart?.files ?? emptyMap<UploadedFile>(),
      ip,
      nowMs,
      audit: (action, target, detail) =>
        this.deps.db.command((tx) =>
          recordAudit(tx, { username: session.username, action, target, detail, ip }, nowMs),
        ),
    });
    return sendOutcome(reply, outcome, viewer);
  }
}

/** A handler's outcome on the wire: a redirect, a download, or a console page. */
function sendOutcome(reply: FastifyReply, outcome: Outcome, viewer: Viewer): FastifyReply {
  if ('redirect' in outcome) return reply.code(303).header('location', outcome.redirect).send();
  // A download (the statement's CSV): an attachment, never rendered in the console's origin.
  if ('file' in outcome) {
    return reply
      .code(200)
      .header('content-type', outcome.file.contentType)
      .header(
        'content-disposition',
        `attachment; filename="${outcome.file.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      )
      .header('x-content-type-options', 'nosniff')
      .send(outcome.file.body);
  }
  return sendConsole(reply, outcome.status ?? 200, consolePage(viewer, outcome.page));
}

function signInAgain(): SafeHtml {
  return html`<p>This form is no longer valid: you may have been signed out, or it came from another site. <a href="/console/login">Sign in</a> and try again.</p>`;
}
