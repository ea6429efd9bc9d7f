/**
 * Test and benchmark helpers for several Tajo replicas: `tajo serve` child processes (from the sources, through
 * tsx) and a tiny round-robin load balancer in front of them (what a real deployment puts before its replicas).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Replica {
  id: string;
  url: string;
  child: ChildProcess;
  /** stderr so far (logs). */
  logs(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./tajoChild.ts', import.meta.url));

/** Starts `tajo <args>` (a `serve --json` command) and resolves with the replica id and URL it prints. */
export function startReplica(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica did not start: ${err.slice(-2000)}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${String(code)}: ${err.slice(-2000)}`));
    };
    child.once('exit', onExit);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      try {
        const doc = JSON.parse(out) as { url?: string; replica?: string };
        if (!doc.replica) return;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({
          id: doc.replica,
          url: doc.url ?? '',
          child,
          logs: () => err,
          kill: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill(signal);
            }),
        });
      } catch {
        // the JSON document is not complete yet
      }
    });
  });
}

export interface Balancer {
  url: string;
  setBackends(urls: string[]): void;
  /** Requests answered by each backend, and requests retried on another after a connection failure. */
  stats(): { byBackend: Record<string, number>; failovers: number; failed: number };
  close(): Promise<void>;
}

/**
 * Round-robin HTTP balancer: a backend that refuses or drops the connection is skipped and the request retried on
 * the next one. Requests arriving before any backend is set wait for one (up to 60 s).
 */
export function startBalancer(): Promise<Balancer> {
  let backends: string[] = [];
  let next = 0;
  const byBackend: Record<string, number> = {};
  let failovers = 0;
  let failed = 0;
  const forward = (target: string, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const u = new URL(target);
      const r = request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      r.on('error', reject);
      r.setTimeout(15_000, () => r.destroy(new Error('timeout')));
      r.end(body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        for (let waited = 0; backends.length === 0 && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        const n = backends.length;
        for (let i = 0; i < n; i++) {
          const target = backends[next++ % n]!;
          try {
            const out = await forward(target, req, body);
            byBackend[target] = (byBackend[target] ?? 0) + 1;
            res.writeHead(out.status, out.headers).end(out.body);
            return;
          } catch {
            failovers++;
          }
        }
        failed++;
        res.writeHead(502).end();
      })();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        setBackends: (urls) => {
          backends = [...urls];
        },
        stats: () => ({ byBackend: { ...byBackend }, failovers, failed }),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      })));
}
