import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The one HTTP client of the operator connectors. Every call is bounded: a timeout covering DNS,
 * connection and the whole answer, and a cap on the bytes read from the operator. A transport
 * failure (refused, reset, timed out, too large) rejects with `OperatorTransportError`, which the
 * callers treat as "the outcome is unknown": never as a failure that could release money.
 */
export const OPERATOR_RESPONSE_BYTES_MAX = 256 * 1024;

export interface OperatorHttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface OperatorHttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export class OperatorTransportError extends Error {
  constructor(
    message: string,
    /** `timeout`, `network` or `too_large`. */
    readonly kind: 'timeout' | 'network' | 'too_large',
  ) {
    super(message);
    this.name = 'OperatorTransportError';
  }
}

export function operatorHttp(req: OperatorHttpRequest): Promise<OperatorHttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new OperatorTransportError(`invalid operator URL`, 'network'));
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
    const outgoing = send(url, { method: req.method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      incoming.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > OPERATOR_RESPONSE_BYTES_MAX) {
          outgoing.destroy();
          finish(() => reject(new OperatorTransportError(`operator answer over ${OPERATOR_RESPONSE_BYTES_MAX} bytes`, 'too_large')));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('end', () => {
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(incoming.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
        finish(() => resolve({ status: incoming.statusCode ?? 0, headers: flat, text: Buffer.concat(chunks).toString('utf8') }));
      });
      incoming.on('error', (error) => finish(() => reject(new OperatorTransportError(error.message, 'network'))));
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish(() => reject(new OperatorTransportError(`operator call timed out after ${req.timeoutMs} ms`, 'timeout')));
    }, req.timeoutMs);
    outgoing.on('error', (error) => finish(() => reject(new OperatorTransportError(error.message, 'network'))));
    if (req.body !== undefined) outgoing.write(req.body);
    outgoing.end();
  });
}

/** The JSON of an operator's answer, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
