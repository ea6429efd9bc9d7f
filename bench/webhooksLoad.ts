/**
 * The load generator of `npm run bench:webhooks`, in its own process so it does not share the servers' event loop:
 * `node --import tsx bench/webhooksLoad.ts '<LoadSpec JSON>'` builds its pool of signed requests (bench/webhooksPool.ts: unique
 * ids, one per request the run can send; the pool wraps around only if the server outruns it), prints
 * `{"phase":"start"}` when the load begins, runs autocannon against `url` for `seconds`, each request taking the next
 * entry, then prints one JSON line: rps, p50/p99 latency (ms), totals, its CPU time.
 */
import autocannon from 'autocannon';
import { buildPool, type PoolSpec } from './webhooksPool.js';

export interface LoadSpec {
  url: string;
  seconds: number;
  connections: number;
  pool: PoolSpec;
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

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const pool = buildPool(spec.pool);
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
        const p = pool[next++ % pool.length]!;
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
  wrapped: Math.max(0, next - pool.length),
  cpuMs: (() => {
    const c = process.cpuUsage(cpu0);
    return Math.round((c.user + c.system) / 1000);
  })(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
