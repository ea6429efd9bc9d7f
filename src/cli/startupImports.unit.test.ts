import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The packages a static (non-type, non-dynamic) import chain from `from` reaches, each with the chain that reaches it
 * first. Dynamic `import()` is where a command or an SDK operation loads its engine, so it is not followed.
 */
function staticPackages(from: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue: string[][] = [[resolve(SRC, from)]];
  while (queue.length) {
    const chain = queue.shift()!;
    const file = chain[chain.length - 1]!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\sfrom\s+'([^']+)'/gms)) {
      const [, what = '', spec = ''] = m;
      if (/^\{[^}]*\}$/s.test(what.trim()) && what.replace(/[{}\s]/g, '').split(',').every((n) => n === '' || n.startsWith('type'))) continue;
      if (spec.startsWith('.')) queue.push([...chain, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))]);
      else if (!spec.startsWith('node:')) {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!found.has(pkg)) found.set(pkg, chain.map((c) => c.slice(SRC.length + 1)));
      }
    }
  }
  return found;
}

describe('CLI start-up', () => {
  // Every `tajo` command loads main, its context (the SDK, embedded) and its own group. None of them may pay for the
  // HTTP server, the Twilio helper library or the metrics registry unless it serves; libphonenumber's metadata only
  // where a command derives (the report's CSAT figures re-derive surveys). bench:report: `tajo report` as a process went
  // from 1.1 s to 0.85 s when these stopped loading.
  const server = ['fastify', 'twilio', 'twilio-flex-token-validator', 'prom-client', 'autocannon'];
  const cases: [string, string[]][] = [
    ['cli/main.ts', [...server, 'awesome-phonenumber']],
    ['cli/context.ts', [...server, 'awesome-phonenumber']],
    ['cli/commands/report.ts', server],
  ];

  it.each(cases)('%s reaches none of %j through static imports', (from, heavy) => {
    const reached = staticPackages(from);
    const offenders = heavy.filter((p) => reached.has(p)).map((p) => `${p} via ${reached.get(p)!.join(' → ')}`);
    expect(offenders).toEqual([]);
  });

  it('sees a package imported through a chain (the check itself works)', () => {
    expect(staticPackages('server/plugin.ts').has('twilio-flex-token-validator')).toBe(true);
    expect(staticPackages('sdk/services/forget.ts').has('awesome-phonenumber')).toBe(true);
  });
});
