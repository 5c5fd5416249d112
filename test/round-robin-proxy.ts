import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer for the multi-instance test: each request goes to the next live backend in turn.
 * A backend that refuses or cuts a connection is marked dead (as a health check would) and skipped
 * from then on; the request that found it dead is answered 502 and not retried elsewhere, because a
 * POST may have been taken before the connection broke: the client sees an error, which means "not
 * acknowledged", exactly as behind a real balancer.
 */
export const PROXY_BODY_BYTES_MAX = 1024 * 1024;
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

export class RoundRobinProxy {
  private next = 0;
  private readonly dead = new Set<string>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** Requests forwarded per backend, and answered 502. */
  readonly forwarded = new Map<string, number>();
  failed = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly backends: readonly string[],
  ) {}

  static async start(backends: readonly string[]): Promise<RoundRobinProxy> {
    const server = http.createServer();
    const proxy = new RoundRobinProxy(server, backends);
    server.on('request', (request, response) => proxy.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  live(): string[] {
    return this.backends.filter((b) => !this.dead.has(b));
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pick(): string | undefined {
    for (let i = 0; i < this.backends.length; i++) {
      const backend = this.backends[this.next++ % this.backends.length];
      if (backend !== undefined && !this.dead.has(backend)) return backend;
    }
    return undefined;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > PROXY_BODY_BYTES_MAX) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => this.forward(request, Buffer.concat(chunks), response));
  }

  private forward(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
    const backend = this.pick();
    const fail = (why: string) => {
      this.failed++;
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(why);
    };
    if (backend === undefined) return fail('no live backend');
    this.forwarded.set(backend, (this.forwarded.get(backend) ?? 0) + 1);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers))
      if (!HOP_HEADERS.has(name) && value !== undefined) headers[name] = value;
    headers['content-length'] = String(body.length);
    const target = new URL(request.url ?? '/', backend);
    const upstream = http.request(
      target,
      { method: request.method, headers, agent: this.agent },
      (answer) => {
        const answerHeaders: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers))
          if (!HOP_HEADERS.has(name) && value !== undefined) answerHeaders[name] = value;
        response.writeHead(answer.statusCode ?? 502, answerHeaders);
        answer.pipe(response);
        answer.on('error', () => response.destroy());
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EPIPE')
        this.dead.add(backend);
      fail(`backend ${backend} failed: ${error.code ?? error.message}`);
    });
    upstream.end(body);
  }
}
