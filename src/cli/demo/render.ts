import type { DemoResult } from '../commands/demo.js';
import { renderSync } from '../render.js';

const n = (x: number) => x.toLocaleString('en-US');

export function renderDemo(r: DemoResult): string[] {
  const lines = ['', `Tajo demo — scale ${r.scale}, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s`];
  lines.push(`Connection test: ${r.test.ok ? 'all checks passed' : 'FAILED'}`);
  for (const s of r.syncs) lines.push(...renderSync(s).map((l) => `  ${l}`));
  const m = r.metrics;
  if (m) {
    lines.push('', 'In Brevo:', `  contacts: ${n(m.contacts)}`);
    for (const l of m.listSizes) lines.push(`  list #${l.id} "${l.name}": ${n(l.size)} contacts`);
    lines.push('  events:');
    for (const [name, count] of Object.entries(m.eventsByType).sort()) lines.push(`    ${name.padEnd(20)} ${n(count)}`);
    const channels = Object.entries(m.preferredChannels).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    lines.push(
      `  preferred channels: ${channels || '-'}`,
      `  average wait: ${m.avgWaitSeconds ?? '-'} s   abandoned: ${n(m.abandoned)}   timed out: ${n(m.timedOut)}   CSAT: ${n(m.csatResponses)} responses, average ${m.avgCsat ?? '-'}`,
    );
  }
  const c = r.comparison;
  if (c) {
    lines.push(
      '',
      `Ground truth check: ${c.match ? 'MATCH ✓' : 'MISMATCH ✗'}`,
      `  contacts   ${n(c.contacts.matching)}/${n(c.contacts.expected)} match (${n(c.contacts.found)} in Brevo)`,
      `  attributes ${n(c.attributes.matching)}/${n(c.attributes.expected)} values match`,
      ...c.lists.map((l) => `  list ${l.key} ${n(l.found)}/${n(l.expected)}`),
      `  events     ${n(c.events.matching)}/${n(c.events.expected)} match (${n(c.events.found)} received, ${n(c.events.unique)} unique; ${n(c.events.missing)} missing, ${n(c.events.dateMismatches)} with another event_date, ${n(c.events.unexpected)} unexpected)`,
      ...c.attributes.mismatches.map((x) => `  ! ${x}`),
      ...c.events.samples.map((x) => `  ! ${x}`),
    );
  }
  if (r.dataDir) lines.push('', `Data dir kept: ${r.dataDir}`);
  return lines;
}
