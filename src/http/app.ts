import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Gateway } from '../commands/context.js';
import type { Wiki } from '../core/result-codes.js';
import { errorEnvelope } from './envelope.js';
import { registerRoutes } from './routes/index.js';

export interface AppOptions {
  bodyLimitBytes: number;
  trustProxy: boolean | string;
  logger: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The endpoint family whose error envelope this route answers with. */
    wiki?: Wiki;
  }
}

function wikiOf(request: FastifyRequest): Wiki {
  return request.routeOptions.config.wiki ?? 'createInvoice';
}

/**
 * The HTTP adapter. Anything that reaches the application gets HTTP 200 and the LigdiCash
 * envelope of the endpoint called (spec §1.3, §9 Q1; ADR 0004): unknown routes and wrong methods
 * (Code12 "Invalid method"), malformed JSON and oversize bodies (Data Input error), and
 * unexpected failures (the endpoint's processing error, with the details only in the log).
 */
/** The raw text of operator notifications, for their connectors' signature checks. */
const rawBodies = new WeakMap<object, string>();

export function rawBodyOf(request: { raw: object }): string | undefined {
  return rawBodies.get(request.raw);
}

export async function buildApp(gw: Gateway, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    logger: options.logger ? { level: process.env.LOG_LEVEL ?? 'info' } : false,
    // One log line per request would cost more than the request at gateway rates; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Clients append `/` before `?` or not (official-sdks §1): both forms reach the same route.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
    return503OnClosing: false,
    // The router refuses a malformed or over-long path parameter before any route runs; it too
    // gets the envelope, not Fastify's 400/414 page (ADR 0004).
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      void reply.code(200).send(errorEnvelope('createInvoice', 'invalid_input', error.message));
    },
  });

  // Lenient bodies: JSON whatever the Content-Type says, since some merchant code omits it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const textBody = typeof body === 'string' ? body : body.toString('utf8');
    // Operators sign the bytes they send (Wave: HMAC over the raw body), not our parse of them.
    if (request.url.startsWith('/operators/')) rawBodies.set(request.raw, textBody);
    if (textBody.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(textBody) as unknown);
    } catch {
      const error = new Error('Malformed JSON body') as Error & { code: string };
      error.code = 'CAURI_BAD_JSON';
      done(error, undefined);
    }
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(200).send(errorEnvelope('createInvoice', 'method_not_allowed', `No endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`));
  });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const wiki = wikiOf(request);
    const inputError = error.code === 'CAURI_BAD_JSON' || error.code?.startsWith('FST_ERR_CTP') === true || (error.statusCode ?? 500) < 500;
    if (inputError) {
      void reply.code(200).send(errorEnvelope(wiki, 'invalid_input', error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'Request body too large' : error.message));
      return;
    }
    request.log.error({ err: error, url: request.url }, 'request failed');
    void reply.code(200).send(errorEnvelope(wiki, 'internal_error'));
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  registerRoutes(app, gw);
  await app.ready();
  return app;
}
