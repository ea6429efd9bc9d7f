/**
 * CPU time of this process by thread kind (Linux `/proc/self/task/*`): the main thread, worker threads (the SQLite
 * inbox writer), V8's GC/compiler helpers and libuv's pool. Two snapshots around a load run say which thread the
 * run's CPU went to, and with the load generator's own CPU time whether the two cores were saturated.
 */
import { readdirSync, readFileSync } from 'node:fs';

export type ThreadCpu = Record<string, number>;

const TICK_MS = 10; // USER_HZ = 100 on Linux

function kindOf(tid: string, comm: string): string {
  if (tid === String(process.pid)) return 'main';
  if (comm.startsWith('V8 ')) return 'v8 helpers';
  if (comm.startsWith('libuv')) return 'libuv pool';
  return 'other threads (workers)';
}

/** CPU ms per thread kind so far; empty where /proc is not there. */
export function threadCpu(): ThreadCpu {
  const out: ThreadCpu = {};
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // fields after the parenthesised comm: state is 3rd, utime 14th, stime 15th (1-based over the whole line)
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const ms = (Number(f[11]) + Number(f[12])) * TICK_MS;
      const k = kindOf(tid, comm);
      out[k] = (out[k] ?? 0) + ms;
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** `after - before` as percentages of one core over `seconds`, e.g. "main 98%, other threads (workers) 24%". */
export function cpuShare(before: ThreadCpu, after: ThreadCpu, seconds: number): string {
  return Object.keys(after)
    .map((k) => [k, (after[k]! - (before[k] ?? 0)) / (seconds * 10)] as const)
    .filter(([, pct]) => pct >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([k, pct]) => `${k} ${pct.toFixed(0)}%`)
    .join(', ');
}
