import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * The merchant's callback endpoint for the callbacks scenario, run in the bench's own process (not
 * the load generator's, so receiving does not slow sending): it answers every POST 200 after
 * `delayMs`, as a merchant handler that does some work would, and notes when each event first
 * arrived, by its `webhook-id` (the same on both encodings and on every attempt, ADR 0006) and by
 * the payout's `transaction_id` in the body, to match it with the time the payout was answered.
 */
const BODY_BYTES_MAX = 64 * 1024;
/** Events remembered; past this the receiver stops recording (a bench run sends far fewer). */
const EVENTS_MAX = 2_000_000;

export interface CallbackReceiver {
  url: string;
  /** POSTs received, per Content-Type family. */
  posts: { json: number; form: number; other: number };
  /** Distinct events whose first POST arrived between two wall-clock times (ms, inclusive). */
  eventsBetween(fromEpochMs: number, toEpochMs: number): number;
  /** Distinct events so far. */
  events(): number;
  /** When the first POST naming this transaction_id arrived, wall clock ms. */
  firstSeenOf(transactionId: string): number | undefined;
  close(): Promise<void>;
}

function transactionIdOf(contentType: string, body: string): string | undefined {
  try {
    if (contentType.startsWith('application/json')) {
      const parsed = JSON.parse(body) as { transaction_id?: unknown };
      return typeof parsed.transaction_id === 'string' ? parsed.transaction_id : undefined;
    }
    if (contentType.startsWith('application/x-www-form-urlencoded'))
      return new URLSearchParams(body).get('transaction_id') ?? undefined;
  } catch {
    // A body the receiver cannot read still counts as received, by its webhook-id.
  }
  return undefined;
}

export function startReceiver(delayMs: number): Promise<CallbackReceiver> {
  const firstByEvent = new Map<string, number>();
  const firstByTransaction = new Map<string, number>();
  const posts = { json: 0, form: 0, other: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const contentType = String(req.headers['content-type'] ?? '');
      if (contentType.startsWith('application/json')) posts.json++;
      else if (contentType.startsWith('application/x-www-form-urlencoded')) posts.form++;
      else posts.other++;
      const transactionId = transactionIdOf(contentType, Buffer.concat(chunks).toString('utf8'));
      const eventId = String(req.headers['webhook-id'] ?? transactionId ?? '');
      if (eventId !== '' && !firstByEvent.has(eventId) && firstByEvent.size < EVENTS_MAX)
        firstByEvent.set(eventId, at);
      if (
        transactionId !== undefined &&
        !firstByTransaction.has(transactionId) &&
        firstByTransaction.size < EVENTS_MAX
      )
        firstByTransaction.set(transactionId, at);
      const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}/bench/callback`,
        posts,
        eventsBetween(fromEpochMs, toEpochMs) {
          let n = 0;
          for (const at of firstByEvent.values()) if (at >= fromEpochMs && at <= toEpochMs) n++;
          return n;
        },
        events: () => firstByEvent.size,
        firstSeenOf: (transactionId) => firstByTransaction.get(transactionId),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
