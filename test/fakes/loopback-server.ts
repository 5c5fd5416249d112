import { type RequestListener, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The HTTP plumbing the offline operator fakes share: a server on 127.0.0.1 that keeps its open
 * sockets so a fake can drop them (the client sees its connection reset) or close the port (the
 * client's next connection is refused).
 */
export interface LoopbackServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Destroys every open connection; the port stays open. */
  dropConnections(): void;
  /** Drops every open connection and closes the port. Closing twice is harmless. */
  close(): Promise<void>;
}

export interface LoopbackOptions {
  /** The port to listen on; 0 (the default) takes a free one. */
  port?: number;
  /** Asked on each new connection: while it answers true, the connection is reset on arrival. */
  resetConnections?: () => boolean;
}

export async function listenLoopback(
  handler: RequestListener,
  options: LoopbackOptions = {},
): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (socket) => {
    if (options.resetConnections?.() === true) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    dropConnections,
    async close() {
      dropConnections();
      // The callback also runs (with an error) when the server is already closed.
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
