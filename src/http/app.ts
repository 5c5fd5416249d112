import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { DestinationStream } from 'pino';
import type { Gateway, WithOps } from '../commands/context.js';
import type { Wiki } from '../core/result-codes.js';
import { REDACTED, REDACT_PATHS, loggedPath } from '../metrics/redact.js';
import { REQUEST_ID_HEADER, newRequestId, requestIdFor } from '../metrics/request-id.js';
import { errorEnvelope, resultCodeOf } from './envelope.js';
import { refusalText, scanJson } from './json-guard.js';
import { rememberRawBody } from './raw-body.js';
import { registerRoutes } from './routes/index.js';

export interface AppOptions {
  bodyLimitBytes: number;
  trustProxy: boolean | string;
  /** No logger, or pino's JSON lines (ADR 0020). */
  logger: boolean | LogSettings;
}

export interface LogSettings {
  level: string;
  /** One line per answered request, at `info`. */
  accessLog: boolean;
  /** Where the lines go; stdout by default (tests capture them). */
  stream?: DestinationStream;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The endpoint family whose error envelope this route answers with. */
    wiki?: Wiki;
  }
  interface FastifyRequest {
    /** `ok`, the result code of the error envelope answered, or `none` for other bodies (ADR 0020). */
    resultCode: string;
  }
}

function wikiOf(request: FastifyRequest): Wiki {
  return request.routeOptions.config.wiki ?? 'createInvoice';
}

/**
 * The HTTP adapter. Anything that reaches the application gets HTTP 200 and the LigdiCash
 * envelope of the endpoint called (spec §1.3, §9 Q1; ADR 0004): unknown routes and wrong methods
 * under `/pay/` (Code12 "Invalid method"), malformed, too deep or otherwise refused JSON and
 * oversize bodies (Data Input error), and unexpected failures (the endpoint's processing error,
 * with the details only in the log). Unknown paths elsewhere get the same envelope with HTTP 404,
 * so that a probe of a wrong path fails (ADR 0015); requests the HTTP parser cannot read get the
 * envelope too (`answerFramingError`).
 */
export async function buildApp(gw: Gateway, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy,
    logger: loggerOptions(options.logger),
    // Fastify's own two lines per request are replaced by one access line (onResponse, below).
    logController: new LogController({ disableRequestLogging: true }),
    // A client's or proxy's X-Request-Id when short and safe, else a new one (ADR 0020).
    genReqId: (raw) => requestIdFor(raw.headers[REQUEST_ID_HEADER]),
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
    clientErrorHandler: answerFramingError,
  });

  // Lenient bodies: JSON whatever the Content-Type says, since some merchant code omits it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const textBody = typeof body === 'string' ? body : body.toString('utf8');
    // Operators sign the bytes they send (Wave: HMAC over the raw body), not our parse of them.
    if (request.url.startsWith('/operators/')) rememberRawBody(request.raw, textBody);
    if (textBody.trim() === '') return done(null, undefined);
    // Refused before parsing: nesting that would overflow later recursion, NUL characters that
    // PostgreSQL cannot store, non-integral spellings of integers (json-guard.ts, ADR 0015).
    // Operators' notifications are not merchant amounts; their connectors read them.
    const refusal = scanJson(textBody, { checkNumbers: !request.url.startsWith('/operators/') });
    if (refusal !== undefined) return done(badJson(refusalText(refusal)), undefined);
    try {
      done(null, JSON.parse(textBody) as unknown);
    } catch {
      done(badJson('Malformed JSON body'), undefined);
    }
  });

  app.setNotFoundHandler(answerNotFound);

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const tooLarge = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    if (tooLarge) drainThenClose(request.raw, reply);
    // A wrong path stays a wrong path whatever its body: Fastify parses bodies for the 404 route too.
    if (request.is404) return answerNotFound(request, reply);
    const wiki = wikiOf(request);
    const inputError =
      error.code === 'CAURI_BAD_JSON' ||
      error.code?.startsWith('FST_ERR_CTP') === true ||
      (error.statusCode ?? 500) < 500;
    if (inputError) {
      void reply
        .code(200)
        .send(errorEnvelope(wiki, 'invalid_input', tooLarge ? 'Request body too large' : error.message));
      return;
    }
    request.log.error({ err: error, path: loggedPath(request.url) }, 'request failed');
    void reply.code(200).send(errorEnvelope(wiki, 'internal_error'));
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('cache-control', 'no-store');
    // Every answer names its request, errors and envelopes included, so that a merchant's report
    // can be matched with the log line and the transaction's history.
    void reply.header(REQUEST_ID_HEADER, request.id);
    done(null, payload);
  });
  observeRequests(app, gw, options.logger);

  registerRoutes(app, gw);
  await app.ready();
  return app;
}

function loggerOptions(logger: AppOptions['logger']): false | Record<string, unknown> {
  if (logger === false) return false;
  const settings = logger === true ? { level: process.env.LOG_LEVEL ?? 'info', accessLog: false } : logger;
  return {
    level: settings.level,
    // Credentials never reach a log line, whatever object is logged (src/metrics/redact.ts).
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    ...(typeof logger === 'object' && logger.stream !== undefined ? { stream: logger.stream } : {}),
  };
}

const SUCCESS_CODES = new Set(['00', 0]);
/** The levels at which an `info` line is written. */
const INFO_OR_BELOW = new Set(['info', 'debug', 'trace']);

/**
 * Request metrics and the access log, from one onResponse hook (ADR 0020). The hot path pays for
 * a look at the body object before serialization (its result code) and, after the answer, one
 * counter and one histogram update with cached label children; the access line only when enabled.
 */
function observeRequests(app: FastifyInstance, deps: WithOps, logger: AppOptions['logger']): void {
  app.decorateRequest('resultCode', 'none');
  app.addHook('preSerialization', (request, _reply, payload, done) => {
    if (typeof payload === 'object' && payload !== null) request.resultCode = resultOf(payload);
    done(null, payload);
  });
  const metrics = deps.ops?.metrics;
  const accessLog = typeof logger === 'object' && logger.accessLog && INFO_OR_BELOW.has(logger.level);
  if (metrics === undefined && !accessLog) return;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    metrics?.observeRequest(request.method, route, reply.statusCode, request.resultCode, reply.elapsedTime);
    if (accessLog) {
      request.log.info(
        {
          method: request.method,
          route,
          path: loggedPath(request.url),
          status: reply.statusCode,
          result: request.resultCode,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
          ip: request.ip,
        },
        'request',
      );
    }
    done();
  });
}

/** `ok` for a LigdiCash success, the result code of an error envelope, `error` for other failures. */
function resultOf(payload: object): string {
  const code = resultCodeOf(payload);
  if (code !== undefined) return code;
  const body = payload as { response_code?: unknown; error?: unknown };
  if (body.response_code !== undefined)
    return SUCCESS_CODES.has(body.response_code as string) ? 'ok' : 'error';
  if (body.error === true) return 'error';
  return 'ok';
}

/**
 * No route for this method and path. The LigdiCash paths keep HTTP 200 and Code12 (ADR 0004:
 * SDKs read the body, Dart accepts only a 200); anywhere else a wrong path is a plain 404, with
 * the same body, so that a health probe or a monitor on a wrong path fails (ADR 0015).
 */
function answerNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  const status = path === '/pay' || path.startsWith('/pay/') ? 200 : 404;
  void reply
    .code(status)
    .send(errorEnvelope('createInvoice', 'method_not_allowed', `No endpoint ${request.method} ${path}`));
}

/** A body the parser refuses; its 400 tells the scopes with their own error pages (console, payment page) that the client erred. */
function badJson(message: string): Error {
  const error = new Error(message) as Error & { code: string; statusCode: number };
  error.code = 'CAURI_BAD_JSON';
  error.statusCode = 400;
  return error;
}

/**
 * How much of a refused request the gateway still reads, and for how long, so that its answer
 * reaches the client: closing a socket with unread bytes makes the kernel send a TCP reset, which
 * destroys the answer still waiting in the client's receive buffer (RFC 9112 §9.6 asks servers to
 * close in stages for this reason). Past either bound the connection is dropped.
 */
export const DRAIN_BYTES_MAX = 8 * 1024 * 1024;
export const DRAIN_MS_MAX = 5_000;

/** Sockets draining a refused body, already answered: a framing error there (a timeout) only ends them. */
const draining = new WeakSet<Socket>();

/**
 * An oversize body is refused as soon as its size is known, while the client is still sending.
 * Fastify then asks for `connection: close`, and Node destroys the socket once the answer is
 * written, unread bytes and all. Instead, the connection stays open: Node reads and discards the
 * rest of the body (keeping the framing, so the connection can even serve another request), up
 * to the bounds above, after which it is destroyed.
 */
function drainThenClose(raw: IncomingMessage, reply: FastifyReply): void {
  reply.removeHeader('connection');
  const socket = raw.socket;
  draining.add(socket);
  let drainedBytes = 0;
  const stop = (): void => {
    clearTimeout(timer);
    raw.removeListener('data', count);
    draining.delete(socket);
  };
  const timer = setTimeout(() => {
    stop();
    if (!raw.complete) socket.destroy();
  }, DRAIN_MS_MAX);
  timer.unref();
  const count = (chunk: Buffer): void => {
    drainedBytes += chunk.length;
    if (drainedBytes <= DRAIN_BYTES_MAX) return;
    stop();
    socket.destroy();
  };
  raw.on('data', count);
  raw.once('end', stop);
  socket.once('close', stop);
}

/** Sockets whose framing error has been answered: the parser reports one again for every later chunk. */
const framingAnswered = new WeakSet<Socket>();

/**
 * A request the HTTP parser cannot read (a head over Node's 16 KiB, a malformed request line or
 * chunk, a request that took longer than `requestTimeout`) never reaches a route, so nothing
 * knows its endpoint. It gets the createInvoice Data Input envelope, as an oversize body does,
 * with HTTP 200 because the SDKs read nothing else (official-sdks §1), instead of Fastify's
 * JSON 400/408/431. The socket is then closed in stages, like a drained body: the answer and a
 * FIN first, discarding what still arrives up to the same bounds, so no reset destroys it.
 */
export function answerFramingError(error: Error & { code?: string }, socket: Socket): void {
  if (framingAnswered.has(socket)) return;
  framingAnswered.add(socket);
  // An answer already under way on this socket (e.g. a body being drained) cannot be followed by another.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (
    error.code === 'ECONNRESET' ||
    socket.destroyed ||
    !socket.writable ||
    inFlight?.headersSent === true ||
    draining.has(socket)
  ) {
    socket.destroy();
    return;
  }
  const detail =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'Request head too large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'Request took too long'
        : 'Malformed HTTP request';
  const body = JSON.stringify(errorEnvelope('createInvoice', 'invalid_input', detail));
  socket.end(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `cache-control: no-store\r\n${REQUEST_ID_HEADER}: ${newRequestId()}\r\nconnection: close\r\n\r\n${body}`,
  );
  let drainedBytes = 0;
  const timer = setTimeout(() => socket.destroy(), DRAIN_MS_MAX);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    drainedBytes += chunk.length;
    if (drainedBytes > DRAIN_BYTES_MAX) socket.destroy();
  });
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
}
