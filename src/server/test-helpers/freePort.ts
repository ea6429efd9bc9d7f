import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now (for a child `tajo serve` that must keep its port across restarts). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
