import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../engine/sync/windows.js';
import { interaction } from '../store/contract.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

const C = 'twilio-flex';

describe('tajo prune: task SIDs of forgotten people', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.cleanup());

  it('go after 60 days whatever --older-than-days; younger ones stay and still block their tasks', async () => {
    const file = join(dir.path, 'tajo.db');
    const store = await SqliteStore.open(file);
    await store.commit(C, {
      interactions: [interaction('WT1', { customerKey: '+14155550101' }), interaction('WT2', { customerKey: '+14155550102' }), interaction('WT3', { customerKey: '+14155550103' })],
    });
    for (const key of ['+14155550101', '+14155550102', '+14155550103']) await store.forgetCustomer(C, key);
    await store.close();
    // forgotten 61, 59 and 8 days ago
    const db = new Database(file);
    const age = db.prepare('UPDATE forgotten_tasks SET forgotten_at = ? WHERE task_sid = ?');
    for (const [sid, days] of [['WT1', 61], ['WT2', 59], ['WT3', 8]] as const) age.run(new Date(Date.now() - days * DAY_MS).toISOString(), sid);
    db.close();

    const r = await runCli(['--json', '--data-dir', dir.path, 'prune', '--older-than-days', '0']);
    expect(r.code).toBe(0);
    const out = r.json<{ forgottenTasksDeleted: number; forgottenBefore: string }>();
    expect(out.forgottenTasksDeleted).toBe(1);
    expect(Math.abs(Date.parse(out.forgottenBefore) - (Date.now() - 60 * DAY_MS))).toBeLessThan(60_000);
    // a longer --older-than-days keeps them longer: nothing forgotten in the last 90 days goes
    const text = await runCli(['--data-dir', dir.path, 'prune', '--older-than-days', '90']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Pruned 0 task SIDs of people forgotten before');

    const after = await SqliteStore.open(file);
    try {
      expect((await after.forgottenTasks(C, ['WT1', 'WT2', 'WT3'])).sort()).toEqual(['WT2', 'WT3']);
      // a sync re-deriving the 59-day-old one is still refused
      const refused = await after.commit(C, { interactions: [interaction('WT2', { customerKey: '+14155550102' })] }).then(() => undefined, (e: unknown) => e);
      expect(refused).toMatchObject({ code: 'TAJO_CUSTOMER_CONFLICT' });
      expect((await after.counts(C)).interactions).toBe(0);
    } finally {
      await after.close();
    }
  });

  it.runIf(process.platform === 'linux')('a data dir nothing can be written in fails at once, naming it (exit 64)', async () => {
    // it was 'State store is unavailable (SQLITE_CANTOPEN)', exit 74, with no path. (A missing dir under /proc spun
    // forever in Node's recursive mkdir: core/dataDir.unit.test.ts tries that one in a child process with a timeout.)
    const r = await runCli(['--json', '--data-dir', '/proc', 'prune']);
    expect(r.code).toBe(64);
    expect(r.json()).toMatchObject({ error: { code: 'TAJO_USAGE', message: expect.stringContaining('/proc'), hint: expect.stringContaining('--data-dir') } });
  });
});
