/**
 * CPU profile of this process's main thread (V8's sampling profiler through the inspector), written as a `.cpuprofile` (Chrome DevTools, speedscope) with a one-line summary of the functions with the most
 * self time. Used by `bench:webhooks --profile DIR` to see where the server's time goes during a load run.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
}

/** Starts V8's sampling profiler on this thread; `stop()` writes `file` and returns the top-functions summary. */
export async function startProfile(file: string): Promise<{ stop: () => Promise<string> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    stop: async () => {
      try {
        const { profile } = (await post('Profiler.stop')) as { profile: Profile };
        writeFileSync(file, JSON.stringify(profile));
        return topSelf(profile, 12);
      } finally {
        session.disconnect();
      }
    },
  };
}

/** The `n` functions (name + file:line) with the most self samples, as percentages of all samples. */
function topSelf(p: Profile, n: number): string {
  const byNode = new Map(p.nodes.map((x) => [x.id, x]));
  const counts = new Map<string, number>();
  const samples = p.samples ?? [];
  for (const id of samples) {
    const node = byNode.get(id);
    if (!node) continue;
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, c]) => `${((100 * c) / Math.max(1, samples.length)).toFixed(1)}% ${k}`)
    .join('\n    ');
}
