/**
 * Abandoned vs timed out, on both backends: the cancel reason is stored with the interaction, the analytics SQL
 * counts a TaskRouter timeout apart from a customer abandonment (same rule as store/cancelReason.ts), and the report's
 * abandon_rate counts the customers who left only. Migration 0007 fills the reason of interactions derived before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../analytics/report.js';
import { renderReport } from '../analytics/text.js';
import { isTimeoutReason } from './cancelReason.js';
import { PostgresStore } from './postgres/postgresStore.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL } from './postgres/test-helpers/testDatabase.js';
import { SqliteStore } from './sqlite/sqliteStore.js';
import type { Store } from './store.js';
import type { InteractionRow, RawEvent } from './types.js';

const C = 'twilio-flex';
const D0 = Date.UTC(2026, 10, 2, 9);
const MIN = 60_000;

function row(sid: string, over: Partial<InteractionRow>): InteractionRow {
  return {
    taskSid: sid, customerKey: '+14155550100', channel: 'voice', queueSid: 'WQ1', queueName: 'Voice Support', workerSid: null, workerName: null,
    createdMs: D0, answeredMs: null, wrapupMs: null, endedMs: null, outcome: 'open', conversationSid: null, conversationClosedMs: null,
    waitSeconds: null, handleSeconds: null, attributes: {}, updatedAt: '2026-11-05T00:00:00.000Z', cancelReason: null, ...over,
  };
}

const completed = (sid: string, minute: number) =>
  row(sid, { createdMs: D0 + minute * MIN, answeredMs: D0 + minute * MIN + 10_000, endedMs: D0 + (minute + 5) * MIN, outcome: 'completed', workerSid: 'WK1', workerName: 'alice' });
const abandoned = (sid: string, minute: number, cancelReason: string | null, queueSid = 'WQ1') =>
  row(sid, { createdMs: D0 + minute * MIN, endedMs: D0 + (minute + 2) * MIN, outcome: 'abandoned', cancelReason, queueSid });

/** One queue: two answered, one caller who hung up, one task TaskRouter canceled when its TTL ran out. */
const queue = [completed('WT1', 0), completed('WT2', 10), abandoned('WT3', 20, 'Caller hung up'), abandoned('WT4', 30, 'Task TTL Exceeded')];

/** Reasons the SQL and the TypeScript rule must classify alike (one queue each). */
const REASONS = ['Task TTL Exceeded', 'TASK TTL EXCEEDED or Max assignment count exceeded', 'Workflow Timeout', 'timed out', 'Caller hung up',
  'Customer left the conversation', 'hangup', 'settled', '', null, 'Max assignment count exceeded'];

const canceledEvent = (task: string, ms: number, data: Record<string, unknown>): RawEvent => ({
  key: `EV-${task}-${ms}`, type: 'task.canceled', occurredMs: ms, taskSid: task, via: 'poll', data: { task_sid: task, ...data },
});

function suite(name: string, open: () => Promise<Store>, downgrade: () => Promise<void>, reopen: () => Promise<Store>): void {
  describe(`${name}: abandoned vs timed out`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
      await store.commit(C, {
        interactions: [...queue, ...REASONS.map((r, n) => abandoned(`WTR${n}`, 0, r, `WQR${n}`))],
      });
    });
    afterAll(async () => store?.close());

    it('stores the cancel reason with the interaction', async () => {
      const got = await store.getInteractions(C, ['WT1', 'WT3', 'WT4']);
      expect(Object.fromEntries(got.map((i) => [i.taskSid, i.cancelReason]))).toEqual({ WT1: null, WT3: 'Caller hung up', WT4: 'Task TTL Exceeded' });
    });

    it('a queue with one hang-up and one TTL timeout: abandoned 1, timed_out 1, abandon_rate on the hang-up only', async () => {
      const groups = (await store.queueGroups(C, { by: 'day', queueSids: ['WQ1'] }));
      expect(groups.map((g) => [g.entered, g.answered, g.abandoned, g.timedOut])).toEqual([[4, 2, 1, 1]]);
      const report = await buildReport(store, C, { nowMs: D0 + 86_400_000, queue: 'WQ1', serviceLevelSeconds: 20, lowScoreThreshold: 2 });
      expect(report.summary).toMatchObject({ interactions: 4, answered: 2, abandoned: 1, timed_out: 1, abandon_rate: 25 });
      expect(report.queues?.map((q) => [q.queue_sid, q.abandoned, q.timed_out, q.abandon_rate])).toEqual([['WQ1', 1, 1, 25]]);
      expect(report.queue_totals?.map((q) => [q.abandoned, q.timed_out, q.abandon_rate, q.daily[0]?.timed_out])).toEqual([[1, 1, 25, 1]]);
      expect(report.channel_rows?.map((c) => [c.channel, c.abandoned, c.timed_out, c.abandon_rate])).toEqual([['voice', 1, 1, 25]]);
      expect(report.timeline?.map((t) => [t.abandoned, t.timed_out, t.abandon_rate])).toEqual([[1, 1, 25]]);
      const text = renderReport(report).join('\n');
      expect(text).toContain('abandoned 1 (25%)  timed out 1');
      expect(text).toMatch(/timed out = TaskRouter canceled the queued task \(TTL exceeded, workflow timeout, no worker accepted it\)\. aband % counts customer abandonments only/);
    });

    it('the SQL classifies every reason as the TypeScript rule does (no reason = a customer abandonment)', async () => {
      const groups = await store.queueGroups(C, { by: 'day', queueSids: REASONS.map((_, n) => `WQR${n}`) });
      const byQueue = Object.fromEntries(groups.map((g) => [g.queueSid, [g.abandoned, g.timedOut]]));
      expect(byQueue).toEqual(Object.fromEntries(REASONS.map((r, n) => [`WQR${n}`, isTimeoutReason(r) ? [0, 1] : [1, 0]])));
      // no worker accepted the task: TaskRouter's routing failure counts with the timeouts, not as an abandonment
      expect(byQueue[`WQR${REASONS.indexOf('Max assignment count exceeded')}`]).toEqual([0, 1]);
    });

    it('migration 0007 fills the reason of interactions derived before it from their stored task.canceled events', async () => {
      await store.commit(C, {
        interactions: [abandoned('WTM1', 0, null, 'WQM'), abandoned('WTM2', 0, null, 'WQM'), abandoned('WTM3', 0, null, 'WQM'), completed('WTM4', 0)],
        rawEvents: [
          canceledEvent('WTM1', D0 + MIN, { task_canceled_reason: 'Caller hung up' }),
          canceledEvent('WTM1', D0 + 2 * MIN, { task_canceled_reason: 'Task TTL Exceeded' }), // the latest cancel, as the derivation takes it
          canceledEvent('WTM2', D0 + MIN, { TaskCanceledReason: '', reason: 'Workflow Timeout' }),
          canceledEvent('WTM3', D0 + MIN, { task_canceled_reason: 7 }), // not a string: no reason
          canceledEvent('WTM4', D0 + MIN, { task_canceled_reason: 'Caller hung up' }), // completed afterwards: stays null
        ],
      });
      await store.close();
      await downgrade();
      store = await reopen();
      const got = await store.getInteractions(C, ['WTM1', 'WTM2', 'WTM3', 'WTM4', 'WT3']);
      expect(Object.fromEntries(got.map((i) => [i.taskSid, i.cancelReason]))).toEqual({
        WTM1: 'Task TTL Exceeded', WTM2: 'Workflow Timeout', WTM3: null, WTM4: null, WT3: null,
      });
      const [g] = await store.queueGroups(C, { by: 'day', queueSids: ['WQM'] });
      expect([g?.abandoned, g?.timedOut]).toEqual([1, 2]);
    });
  });
}

/** The 0002 analytics index, as a store before 0007 has it. */
const INDEX_0002 = `CREATE INDEX interactions_analytics ON interactions (connector_id, created_ms, queue_sid, channel, outcome, answered_ms, ended_ms, wrapup_ms,
  worker_sid, worker_name, queue_name, task_sid)`;

const dir = mkdtempSync(join(tmpdir(), 'tajo-cancel-reason-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'tajo.db');
suite('sqlite', () => SqliteStore.open(file), async () => {
  const db = new Database(file);
  db.exec(`DROP INDEX interactions_analytics; ALTER TABLE interactions DROP COLUMN cancel_reason; ${INDEX_0002}; DELETE FROM schema_migrations WHERE id = 7;`);
  db.close();
}, () => SqliteStore.open(file));

const available = await postgresAvailable();
if (!available) console.warn(`Postgres cancel-reason tests skipped: no server at ${new URL(TEST_DATABASE_URL).host}`);
describe.runIf(available)('postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());
  suite('postgres', () => PostgresStore.open(db.url, { max: 2 }), async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`ALTER TABLE interactions DROP COLUMN cancel_reason; ${INDEX_0002}; DELETE FROM schema_migrations WHERE id = 7;`);
    } finally {
      await c.end();
    }
  }, () => PostgresStore.open(db.url, { max: 2 }));
});
