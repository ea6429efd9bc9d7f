/**
 * `tajo report` against the ground truth: the emulator's seeded world is synced (runSync) into a real SQLite store,
 * then the CLI's figures must equal `emulator.truth().metrics`, which the generator computes independently from its
 * own model (src/emulators/generator/metrics.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-helpers/runCli.js';
import type { GroundTruth } from '../emulators/index.js';
import { startHarness, type Harness } from '../engine/sync/test-helpers/harness.js';

/** A fixed emulated now: the seeded world, and so its counts (the TTL timeouts asserted below among them), depends on it. */
const WORLD_NOW = '2026-11-20T12:00:00Z';
import type { Report } from './types.js';

type Row = Record<string, unknown>;
const QUEUE_FIELDS = ['queue_sid', 'queue_name', 'day', 'channel', 'entered', 'answered', 'abandoned', 'wait_p50', 'wait_p90', 'wait_max', 'answered_within_sl'];
/** Compared with the truth: the CSV's leading columns plus timed_out (appended last in the CSV). */
const QUEUE_COMPARED = [...QUEUE_FIELDS, 'timed_out'];
const AGENT_FIELDS = ['worker_sid', 'worker_name', 'day', 'tasks_handled', 'avg_handle', 'p90_handle', 'avg_wrapup', 'time_available', 'time_busy', 'time_break', 'time_offline', 'avg_csat'];

const pick = (r: object, fields: string[]): Row => Object.fromEntries(fields.map((f) => [f, (r as Row)[f]]));
const byKey = (fields: string[]) => (a: Row, b: Row) => {
  const ka = JSON.stringify(fields.map((f) => a[f]));
  const kb = JSON.stringify(fields.map((f) => b[f]));
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};
const sorted = (rows: object[], fields: string[]) => rows.map((r) => pick(r, fields)).sort(byKey(fields));

describe('tajo report equals the ground truth (emulator seed 7, small, full sync)', () => {
  let h: Harness;
  let truth: GroundTruth;
  let args: string[];
  let report: Report;

  beforeAll(async () => {
    h = await startHarness({ seed: 7, scale: 'small', timeScale: 50, now: WORLD_NOW });
    truth = h.emulator.truth();
    const sync = await h.sync({ type: 'full' });
    expect(sync.status, sync.statusReason).toBe('ok');
    const until = new Date(truth.nowMs).toISOString();
    args = ['--data-dir', h.dir, 'report', '--until', until, '--now', String(truth.nowMs)];
    const r = await runCli(['--json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    report = r.json<Report>();
  }, 180_000);
  afterAll(async () => h?.close());

  it('queues per (queue, day, channel): counts, nearest-rank waits, answered within the service level', () => {
    expect(truth.metrics.queues.length).toBeGreaterThan(10);
    expect(sorted(report.queues ?? [], QUEUE_COMPARED)).toEqual(sorted(truth.metrics.queues, QUEUE_COMPARED));
  });

  it('agents per (worker, day): handled tasks, handle/wrap-up times, activity time, CSAT', () => {
    expect(truth.metrics.agents.length).toBeGreaterThan(5);
    expect(sorted(report.agents ?? [], AGENT_FIELDS)).toEqual(sorted(truth.metrics.agents, AGENT_FIELDS));
    // occupancy = busy / (available + busy), from the truth's (rounded) seconds: equal within the last decimal
    for (const a of truth.metrics.agents) {
      const got = report.agents?.find((r) => r.worker_sid === a.worker_sid && r.day === a.day)?.occupancy ?? null;
      const denom = a.time_available + a.time_busy;
      if (denom === 0) expect(got).toBeNull();
      else expect(Math.abs((got ?? -1) - (100 * a.time_busy) / denom)).toBeLessThanOrEqual(0.051);
    }
  });

  it('channels and CSAT (count, mean, distribution, late and absent surveys)', () => {
    expect(report.channels).toEqual(truth.metrics.channels);
    expect({ count: report.csat?.count, avg: report.csat?.avg, distribution: report.csat?.distribution }).toEqual(truth.metrics.csat);
    expect(report.csat?.late).toBe(truth.counts.surveysLate);
    expect(report.csat?.absent).toBe(truth.counts.surveysAbsent);
    expect(truth.counts.surveysLate + truth.counts.surveysAbsent).toBeGreaterThan(0);
    const interactions = Object.values(truth.metrics.channels).reduce((a, b) => a + b, 0);
    expect(report.summary?.interactions).toBe(interactions);
    expect(report.summary?.answered_within_sl).toBe(truth.metrics.queues.reduce((a, q) => a + q.answered_within_sl, 0));
    expect(report.summary?.csat_count).toBe(truth.metrics.csat.count);
    // the world has customer abandonments and TTL timeouts (SEMANTICS §1): counted apart, the rate on the former only
    const total = (k: 'abandoned' | 'timed_out'): number => truth.metrics.queues.reduce((a, q) => a + q[k], 0);
    expect(total('timed_out')).toBeGreaterThan(0);
    expect([report.summary?.abandoned, report.summary?.timed_out]).toEqual([total('abandoned'), total('timed_out')]);
  });

  it('--queue keeps one queue (by name or SID, any case); its rows equal the truth rows of that queue', async () => {
    const q = truth.metrics.queues[0];
    if (!q) throw new Error('no queue rows');
    for (const sel of [q.queue_name.toUpperCase(), q.queue_sid]) {
      const r = (await runCli(['--json', ...args, '--queue', sel])).json<Report>();
      expect(sorted(r.queues ?? [], QUEUE_COMPARED)).toEqual(sorted(truth.metrics.queues.filter((t) => t.queue_sid === q.queue_sid), QUEUE_COMPARED));
      expect(r.queue_totals?.map((t) => t.queue_sid)).toEqual([q.queue_sid]);
    }
  });

  it('--since/--until bound the rows by created_at (UTC days)', async () => {
    const days = [...new Set(truth.metrics.queues.map((q) => q.day))].sort();
    const day = days[1] as string;
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
    const r = (await runCli(['--json', '--data-dir', h.dir, 'report', '--since', day, '--until', next, '--now', String(truth.nowMs)])).json<Report>();
    expect(sorted(r.queues ?? [], QUEUE_COMPARED)).toEqual(sorted(truth.metrics.queues.filter((q) => q.day === day), QUEUE_COMPARED));
    expect(sorted((r.agents ?? []).filter((a) => a.tasks_handled > 0), ['worker_sid', 'day', 'tasks_handled', 'avg_handle', 'p90_handle', 'time_busy']))
      .toEqual(sorted(truth.metrics.agents.filter((a) => a.day === day && a.tasks_handled > 0), ['worker_sid', 'day', 'tasks_handled', 'avg_handle', 'p90_handle', 'time_busy']));
  });

  it('tables with sparklines for humans; CSV per table', async () => {
    const human = await runCli(args);
    expect(human.code, human.stderr).toBe(0);
    for (const heading of ['Queues', 'Channels', 'Agents', 'CSAT']) expect(human.stdout).toMatch(new RegExp(`^${heading}`, 'm'));
    expect(human.stdout).toMatch(/[▁▂▃▄▅▆▇█]{3,}/);
    const csv = await runCli([...args, '--csv', 'queues']);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]?.split(',').slice(0, QUEUE_FIELDS.length)).toEqual(QUEUE_FIELDS);
    expect(lines.length - 1).toBe(truth.metrics.queues.length);
    const all = await runCli([...args, '--csv']);
    expect(all.stdout.match(/^# \w+$/gm)).toEqual(['# queues', '# agents', '# channels', '# csat', '# timeline']);
    const bad = await runCli(['--json', ...args, '--csv']);
    expect(bad.code).toBe(64);
  });
});
