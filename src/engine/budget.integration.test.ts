/**
 * A request waiting for a budget slot must keep its process alive: the CLI and the bench connector have nothing else
 * pending while a paced call waits (idle keep-alive sockets do not hold the event loop), and the process used to exit
 * with code 0 in the middle of the work.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BUDGET = fileURLToPath(new URL('./budget.ts', import.meta.url));

describe('RateBudget in a process of its own', () => {
  it('a waiting acquire keeps the process alive until its slot comes', () => {
    const script = `import { RateBudget } from ${JSON.stringify(BUDGET)};
      const b = new RateBudget('t', { ratePerSecond: 10, burst: 1 });
      await b.acquire();
      await b.acquire();
      console.log('second slot');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout.trim()).toBe('second slot');
    expect(r.status).toBe(0);
  });
});
