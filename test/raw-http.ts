import { type AddressInfo, connect } from 'node:net';
import type { TestGateway } from './harness.js';

/**
 * Raw HTTP/1.1 over a TCP socket, for what `app.inject` cannot show: the HTTP parser's framing
 * errors (an over-long head) and what reaches a client when the server stops reading a body.
 */
export interface RawExchange {
  /** Every byte the server sent before the connection ended. */
  received: string;
  /** The socket error the client saw (ECONNRESET when the server reset the connection), if any. */
  errorCode: string | undefined;
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
}

/** Starts listening on an ephemeral port of 127.0.0.1 and returns the port. */
export async function listenLocal(gw: TestGateway): Promise<number> {
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const address = gw.app.server.address() as AddressInfo;
  return address.port;
}

/**
 * Writes `head` and then `body` in chunks as fast as the socket takes them, then reads whatever
 * comes back until the server closes (or `waitMs` passes): a client that sends its whole request
 * before it looks at the answer, as simple HTTP clients do. Until then the answer waits in the
 * kernel's receive buffer, where a TCP reset from the server would destroy it.
 */
export interface ExchangeOptions {
  body?: Buffer;
  /** How long to wait for the server's answers. */
  waitMs?: number;
  /** How many complete answers end the exchange on a kept-alive connection. */
  responses?: number;
}

export function exchange(port: number, head: string, options: ExchangeOptions = {}): Promise<RawExchange> {
  const { body = Buffer.alloc(0), waitMs = 10_000, responses = 1 } = options;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let errorCode: string | undefined;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks).toString('latin1'), errorCode));
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A kept-alive connection stays open after a complete answer, which then ends the exchange.
      if (completeAnswers(Buffer.concat(chunks).toString('latin1')) >= responses) finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      errorCode = error.code;
      finish();
    });
    socket.on('close', finish);
    socket.on('end', finish);
    socket.pause();
    socket.on('connect', () => {
      void writeAll(socket, head, body).then(() => socket.resume());
    });
  });
}

async function writeAll(socket: ReturnType<typeof connect>, head: string, body: Buffer): Promise<void> {
  const CHUNK_BYTES = 64 * 1024;
  const write = (data: Buffer | string): Promise<void> =>
    new Promise((resolve) => {
      if (socket.destroyed) return resolve();
      if (socket.write(data)) resolve();
      else {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      }
    });
  await write(head);
  for (let offset = 0; offset < body.length && !socket.destroyed; offset += CHUNK_BYTES)
    await write(body.subarray(offset, offset + CHUNK_BYTES));
}

/** How many answers with a Content-Length have fully arrived. */
function completeAnswers(received: string): number {
  let count = 0;
  let rest = received;
  for (;;) {
    const parsed = parse(rest, undefined);
    const length = parsed.headers['content-length'];
    const split = rest.indexOf('\r\n\r\n');
    if (length === undefined || split < 0 || rest.length - split - 4 < Number(length)) return count;
    count++;
    rest = rest.slice(split + 4 + Number(length));
  }
}

function parse(received: string, errorCode: string | undefined): RawExchange {
  const split = received.indexOf('\r\n\r\n');
  const headText = split < 0 ? received : received.slice(0, split);
  const [statusLine = '', ...lines] = headText.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = split < 0 ? '' : received.slice(split + 4);
  const length = Number(headers['content-length'] ?? rest.length);
  return {
    received,
    errorCode,
    status: status === undefined ? undefined : Number(status),
    headers,
    body: Buffer.from(rest.slice(0, length), 'latin1').toString('utf8'),
  };
}

/** A request head: request line, the headers given, and the blank line. */
export function requestHead(
  method: string,
  path: string,
  headers: Record<string, string> | [string, string][],
): string {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return `${method} ${path} HTTP/1.1\r\n${pairs.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}
