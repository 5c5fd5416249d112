import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A merchant's callback endpoint for the tests: a real HTTP server on 127.0.0.1 that records every
 * request and answers as the test says: a status, a hang (no answer until released), or a cut
 * connection.
 */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  contentType: string;
  /** The parsed payload: JSON, or the form's fields (nested values still JSON strings). */
  fields: Record<string, unknown>;
  id: string;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang' | 'destroy';

export class Receiver {
  readonly received: Received[] = [];
  /** How to answer a request; by default 200 "OK". */
  answer: (request: Received) => Answer | Promise<Answer> = () => ({ status: 200, body: 'OK' });
  private readonly hung = new Set<http.ServerResponse>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server);
    server.on('request', (request, response) => void receiver.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/cb'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests of one event, by its webhook-id. */
  of(eventId: string): Received[] {
    return this.received.filter((r) => r.id === eventId);
  }

  /** Answers every hanging request with this status. */
  release(status = 200): void {
    for (const response of this.hung) response.writeHead(status).end('released');
    this.hung.clear();
  }

  /** Cuts every hanging connection. */
  dropHung(): void {
    for (const response of this.hung) response.socket?.destroy();
    this.hung.clear();
  }

  get hanging(): number {
    return this.hung.size;
  }

  async close(): Promise<void> {
    this.dropHung();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const contentType = request.headers['content-type'] ?? '';
    const fields: Record<string, unknown> = contentType.startsWith('application/json')
      ? (JSON.parse(body) as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(body));
    const received: Received = {
      path: request.url ?? '',
      headers: request.headers,
      body,
      contentType,
      fields,
      id: String(request.headers['webhook-id'] ?? ''),
    };
    this.received.push(received);
    const answer = await this.answer(received);
    if (answer === 'hang') {
      this.hung.add(response);
      return;
    }
    if (answer === 'destroy') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
  }
}

/** Waits (real time, bounded) until a condition holds: for things another process does. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
