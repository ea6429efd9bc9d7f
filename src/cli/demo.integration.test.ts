import { describe, expect, it } from 'vitest';
import type { DemoResult } from './commands/demo.js';
import { runCli } from './test-helpers/runCli.js';

describe('tajo demo', () => {
  it('runs emulators → install → test → full + incremental sync and reports Brevo against the ground truth', async () => {
    // a fixed now: the world, and so its counts (timeouts among them), depends on the seed and the now
    const r = await runCli(['--json', 'demo', '--seed', '3', '--more', '20', '--now', '2026-11-20T12:00:00Z']);
    expect(r.code, `demo failed:\n${r.stderr}\n${JSON.stringify((JSON.parse(r.stdout || '{}') as { comparison?: unknown }).comparison ?? r.stdout.slice(0, 4000))}`).toBe(0);
    const d = r.json<DemoResult>();
    expect(d.test.ok).toBe(true);
    expect(d.syncs.map((s) => [s.type, s.status])).toEqual([
      ['full', 'ok'],
      ['incremental', 'ok'],
    ]);
    expect(d.syncs[1]!.outbox.event).toBeGreaterThan(0);
    expect(d.dataDir).toBeNull();
    const c = d.comparison!;
    expect(c.contacts.found).toBe(c.contacts.expected);
    expect(c.contacts.matching).toBe(c.contacts.expected);
    expect(c.attributes.matching).toBe(c.attributes.expected);
    for (const l of c.lists) expect(l.found).toBe(l.expected);
    expect(c.events).toMatchObject({ missing: 0, dateMismatches: 0, unexpected: 0 });
    expect(c.match).toBe(true);
    expect(r.stderr).toContain('▸ full sync');
    expect(d.metrics!.contacts).toBe(c.contacts.expected);
    expect(Object.keys(d.metrics!.eventsByType).sort()).toEqual(['CONVERSATION_ENDED', 'CSAT_SUBMITTED', 'SUPPORT_ABANDONED', 'SUPPORT_REQUESTED', 'SUPPORT_RESOLVED']);
    // the world has both customer abandonments and TTL timeouts, told apart by the SUPPORT_ABANDONED cancel_reason
    expect(d.metrics!.timedOut).toBeGreaterThan(0);
    expect(d.metrics!.abandoned).toBeGreaterThan(d.metrics!.timedOut);
    expect(d.metrics!.abandoned + d.metrics!.timedOut).toBe(d.metrics!.eventsByType.SUPPORT_ABANDONED);
    expect(r.stdout).not.toMatch(/xkeysib-/);
  });
});
