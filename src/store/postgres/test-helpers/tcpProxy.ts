/** A TCP proxy in front of the real test server, whose connections a test can cut (a Postgres restart, a network drop). */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** `url` with host and port pointing at the proxy. */
  url: string;
  /** Cuts every connection open now. */
  cut(): void;
  close(): Promise<void>;
}

export async function tcpProxy(url: string): Promise<TcpProxy> {
  const upstream = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const up = createConnection(Number(upstream.port || 5432), upstream.hostname);
    for (const [a, b] of [[client, up], [up, client]] as const) {
      sockets.add(a);
      a.on('error', () => undefined);
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const via = new URL(url);
  via.hostname = '127.0.0.1';
  via.port = String((server.address() as { port: number }).port);
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: via.toString(),
    cut,
    close: async () => {
      cut();
      await new Promise((r) => server.close(r));
    },
  };
}
