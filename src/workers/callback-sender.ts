import { withTimeout } from '../util/with-timeout.js';
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CALLBACK_RESPONSE_BYTES_MAX, errorText, responseExcerpt } from '../core/callbacks.js';
import { classifyIp } from '../core/ip-ranges.js';

/**
 * One callback POST, with the safety rules of ADR 0006:
 *
 * - one deadline covers DNS, connection, request and answer (`timeoutMs`);
 * - at most `CALLBACK_RESPONSE_BYTES_MAX` bytes of the answer are read, then the connection is cut;
 * - redirects are not followed (a 3xx is an answer like any other non-2xx);
 * - unless private addresses are allowed (sandbox), every address the host name resolves to must
 *   be public, and the connection goes to the address that was checked, never to a second lookup,
 *   so that a DNS answer cannot change between the check and the connection (DNS rebinding);
 * - connections are reused (keep-alive), but only to the very address that was checked (the pool
 *   is keyed by address, port and TLS server name), an idle connection is closed after
 *   `CALLBACK_IDLE_SOCKET_MS`, and at most `CALLBACK_IDLE_SOCKETS_MAX` wait idle, so a merchant
 *   cannot hold sockets of the gateway open (ADR 0017); a connection that timed out or sent too
 *   much is destroyed, never reused.
 */
export interface CallbackPost {
  url: string;
  body: string;
  /** Content type and the Standard Webhooks headers. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  allowPrivate: boolean;
}

export type PostOutcome =
  | { kind: 'answered'; httpStatus: number; excerpt: string; latencyMs: number }
  /** No answer. `permanent`: trying again cannot help (refused or malformed URL). */
  | { kind: 'error'; error: string; permanent: boolean; latencyMs: number };

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name resolution, replaceable in tests (a host name that resolves to a private address). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export const USER_AGENT = 'Cauri-Callbacks/1.0 (LigdiCash-compatible)';

class DeadlineError extends Error {}

/** How long a connection to a receiver stays open with nothing to send. */
export const CALLBACK_IDLE_SOCKET_MS = 2_000;
/** Idle connections kept, every receiver together. */
export const CALLBACK_IDLE_SOCKETS_MAX = 256;

const AGENT_OPTIONS = {
  keepAlive: true,
  timeout: CALLBACK_IDLE_SOCKET_MS,
  maxFreeSockets: CALLBACK_IDLE_SOCKETS_MAX,
  scheduling: 'lifo',
} as const;
const HTTP_AGENT = new http.Agent(AGENT_OPTIONS);
const HTTPS_AGENT = new https.Agent(AGENT_OPTIONS);

export async function postCallback(
  post: CallbackPost,
  resolve: Resolver = systemResolver,
): Promise<PostOutcome> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const failure = (error: string, permanent: boolean): PostOutcome => ({
    kind: 'error',
    error: errorText(error),
    permanent,
    latencyMs: elapsed(),
  });

  let url: URL;
  try {
    url = new URL(post.url);
  } catch {
    return failure('invalid callback URL', true);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return failure(`callback URL scheme ${url.protocol} is not http or https`, true);
  // LigdiCash asks for URLs without basic auth (spec §3.1); credentials would be sent in clear logs.
  if (url.username !== '' || url.password !== '')
    return failure('callback URL must not carry credentials', true);

  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: ResolvedAddress[];
  try {
    addresses =
      isIP(hostname) !== 0
        ? [{ address: hostname, family: isIP(hostname) }]
        : await withTimeout(resolve(hostname), post.timeoutMs, () => new DeadlineError('deadline'));
  } catch (error) {
    if (error instanceof DeadlineError) return failure(`timeout after ${post.timeoutMs} ms (DNS)`, false);
    return failure(`DNS lookup of ${hostname} failed: ${codeOf(error)}`, false);
  }
  const first = addresses[0];
  if (first === undefined) return failure(`DNS lookup of ${hostname} returned no address`, false);
  if (!post.allowPrivate) {
    for (const { address } of addresses) {
      const kind = classifyIp(address);
      const name = address === hostname ? address : `${address} (${hostname})`;
      if (kind !== 'public') return failure(`refused: ${name} is a ${kind} address`, true);
    }
  }
  const remainingMs = Math.max(1, post.timeoutMs - elapsed());
  const outcome = await send(url, hostname, first, post, remainingMs, elapsed);
  // A kept-alive connection the receiver closed meanwhile fails before any answer: the POST never
  // reached its handler, so it goes once more, on a new connection, within the same deadline.
  if (outcome.kind !== 'stale') return outcome;
  const fresh = await send(
    url,
    hostname,
    first,
    post,
    Math.max(1, post.timeoutMs - elapsed()),
    elapsed,
    false,
  );
  return fresh.kind === 'stale' ? failure('connection closed by the receiver', false) : fresh;
}

/** What a POST on a reused connection that the receiver had closed comes to. */
type Stale = { kind: 'stale' };

function send(
  url: URL,
  hostname: string,
  target: ResolvedAddress,
  post: CallbackPost,
  remainingMs: number,
  elapsed: () => number,
  reuse = true,
): Promise<PostOutcome | Stale> {
  return new Promise<PostOutcome | Stale>((settle) => {
    let settled = false;
    const finish = (outcome: PostOutcome | Stale) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle(outcome);
    };
    // Set once the status line arrived: from then on, whatever happens, the merchant did answer.
    let answered: (() => void) | undefined;
    const body = Buffer.from(post.body, 'utf8');
    const options: https.RequestOptions = {
      host: target.address,
      family: target.family,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      agent: !reuse ? false : url.protocol === 'https:' ? HTTPS_AGENT : HTTP_AGENT,
      headers: {
        ...post.headers,
        host: url.host,
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
      },
      ...(url.protocol === 'https:' && isIP(hostname) === 0 ? { servername: hostname } : {}),
    };
    const request = (url.protocol === 'https:' ? https : http).request(options, (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () =>
        finish({
          kind: 'answered',
          httpStatus: status,
          excerpt: responseExcerpt(Buffer.concat(chunks)),
          latencyMs: elapsed(),
        });
      answered = done;
      response.on('data', (chunk: Buffer) => {
        if (size < CALLBACK_RESPONSE_BYTES_MAX)
          chunks.push(chunk.subarray(0, CALLBACK_RESPONSE_BYTES_MAX - size));
        size += chunk.length;
        if (size >= CALLBACK_RESPONSE_BYTES_MAX) {
          done();
          response.destroy();
        }
      });
      response.on('end', done);
      // A body cut short (or by the deadline) still leaves a real answer.
      response.on('error', done);
      response.on('close', done);
    });
    const timer = setTimeout(() => {
      request.destroy(new DeadlineError(`timeout after ${post.timeoutMs} ms`));
    }, remainingMs);
    request.on('error', (error) => {
      if (answered) return answered();
      const code = (error as { code?: unknown }).code;
      if (request.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE'))
        return finish({ kind: 'stale' });
      finish({
        kind: 'error',
        error: errorText(error instanceof DeadlineError ? error.message : describe(error)),
        permanent: false,
        latencyMs: elapsed(),
      });
    });
    request.end(body);
  });
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

function describe(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code)
    ? `${code}: ${error.message}`
    : error.message;
}
