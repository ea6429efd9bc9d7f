/**
 * The load generator of `npm run bench:webhooks`, in its own process so it does not share the servers' event loop:
 * `node --import tsx bench/webhooksLoad.ts <pool.json>` runs autocannon against `url` for `seconds`, each request
 * taking the next entry of the pool (pre-signed bodies with unique ids; the pool wraps around when exhausted), and
 * prints `{"phase":"start"}` when the load begins, then one JSON line: rps, p50/p99 latency (ms), totals, its CPU time.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  seconds: number;
  connections: number;
  pool: { path: string; contentType: string; headers: Record<string, string>; body: string }[];
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Requests sent after the pool wrapped around (duplicates of earlier bodies). */
  wrapped: number;
  /** CPU time of the load generator process during the run (ms, user + system). */
  cpuMs: number;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
let next = 0;
// the parent starts measuring its side now (this process's start-up is not part of the run)
process.stdout.write(`${JSON.stringify({ phase: 'start' })}\n`);
const cpu0 = process.cpuUsage();
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.seconds,
  method: 'POST',
  requests: [
    {
      setupRequest: (req) => {
        const p = spec.pool[next++ % spec.pool.length]!;
        return { ...req, method: 'POST', path: p.path, headers: { ...p.headers, 'content-type': p.contentType }, body: p.body };
      },
    },
  ],
});
const out: LoadResult = {
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  requests: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  wrapped: Math.max(0, next - spec.pool.length),
  cpuMs: (() => {
    const c = process.cpuUsage(cpu0);
    return Math.round((c.user + c.system) / 1000);
  })(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
