import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One bounded HTTP request, for the calls Cauri makes to services it is configured with (operator
 * APIs, the SMS hook): a timeout covering DNS, connection and the whole answer, a cap on the bytes
 * read, no redirect followed. A transport failure (refused, reset, timed out, too large) rejects
 * with `HttpTransportError`, which callers treat as "the outcome is unknown". Merchants' callback
 * URLs have their own client (workers/callback-sender.ts), which also pins the resolved address.
 */
export interface BoundedHttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  bytesMax: number;
  /**
   * Past `bytesMax`: `fail` rejects (`too_large`), `truncate` answers with the first `bytesMax`
   * bytes and stops reading (for answers whose status decides and whose body is a courtesy).
   */
  overflow: 'fail' | 'truncate';
  /** `false` for a connection of its own, closed after the answer. */
  agent?: false;
}

export interface BoundedHttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export class HttpTransportError extends Error {
  constructor(
    message: string,
    /** `timeout`, `network` or `too_large`. */
    readonly kind: 'timeout' | 'network' | 'too_large',
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

export function boundedHttp(req: BoundedHttpRequest): Promise<BoundedHttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new HttpTransportError('invalid URL', 'network'));
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const outgoing = send(
      url,
      { method: req.method, headers, ...(req.agent === false ? { agent: false } : {}) },
      (incoming) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const answer = (): void => {
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers))
            if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          finish(() =>
            resolve({
              status: incoming.statusCode ?? 0,
              headers: flat,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        };
        incoming.on('data', (chunk: Buffer) => {
          const room = req.bytesMax - bytes;
          bytes += chunk.length;
          if (bytes <= req.bytesMax) {
            chunks.push(chunk);
            return;
          }
          outgoing.destroy();
          if (req.overflow === 'fail') {
            finish(() => reject(new HttpTransportError(`answer over ${req.bytesMax} bytes`, 'too_large')));
            return;
          }
          if (room > 0) chunks.push(chunk.subarray(0, room));
          answer();
        });
        incoming.on('end', answer);
        incoming.on('error', (error) =>
          finish(() => reject(new HttpTransportError(error.message, 'network'))),
        );
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish(() =>
        reject(new HttpTransportError(`timed out: no answer within ${req.timeoutMs} ms`, 'timeout')),
      );
    }, req.timeoutMs);
    outgoing.on('error', (error) => finish(() => reject(new HttpTransportError(error.message, 'network'))));
    if (req.body !== undefined) outgoing.write(req.body);
    outgoing.end();
  });
}

/** The JSON of an answer, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
