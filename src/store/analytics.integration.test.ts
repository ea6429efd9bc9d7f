/** The grouped analytics reads on both backends, against hand-computed groups (same rows from SQLite and Postgres). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from './postgres/postgresStore.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL } from './postgres/test-helpers/testDatabase.js';
import { SqliteStore } from './sqlite/sqliteStore.js';
import type { Store } from './store.js';
import type { InteractionRow, RawEvent, SurveyRow } from './types.js';

const C = 'twilio-flex';
const H = 3_600_000;
const DAY = 24 * H;
const D0 = Date.UTC(2026, 10, 2);
const at = (day: number, hours: number, ms = 0) => D0 + day * DAY + hours * H + ms;

function interaction(sid: string, over: Partial<InteractionRow>): InteractionRow {
  return {
    taskSid: sid, customerKey: '+14155550100', channel: 'voice', queueSid: 'WQ1', queueName: 'Voice Support', workerSid: null, workerName: null,
    createdMs: null, answeredMs: null, wrapupMs: null, endedMs: null, outcome: 'open', conversationSid: null, conversationClosedMs: null,
    waitSeconds: null, handleSeconds: null, attributes: {}, updatedAt: '2026-11-05T00:00:00.000Z', ...over,
  };
}

const activity = (key: string, ms: number, name: string, worker = 'WK1'): RawEvent => ({
  key, type: 'worker.activity.update', occurredMs: ms, workerSid: worker, via: 'poll',
  data: { worker_sid: worker, worker_name: worker === 'WK1' ? 'alice' : 'bob', worker_activity_name: name, worker_attributes: '{"x":1}' },
});
const reservation = (key: string, type: string, ms: number, task: string): RawEvent => ({
  key, type, occurredMs: ms, taskSid: task, workerSid: 'WK1', via: 'poll', data: { task_sid: task, worker_sid: 'WK1', worker_name: 'alice' },
});

const interactions: InteractionRow[] = [
  // day 0, 10:00: waited 15 s, handled 5 min by alice, 60 s wrap-up
  interaction('WT1', { createdMs: at(0, 10), answeredMs: at(0, 10, 15_000), wrapupMs: at(0, 10, 255_000), endedMs: at(0, 10, 315_000), outcome: 'completed', workerSid: 'WK1', workerName: 'alice' }),
  // day 0, 10:30: waited 40 s, handled 2 min, no wrap-up
  interaction('WT2', { createdMs: at(0, 10.5), answeredMs: at(0, 10.5, 40_000), endedMs: at(0, 10.5, 160_000), outcome: 'completed', workerSid: 'WK1', workerName: 'alice' }),
  // day 0 sms, abandoned after 30 s
  interaction('WT3', { channel: 'sms', queueSid: 'WQ2', queueName: 'Messaging Support', createdMs: at(0, 11), endedMs: at(0, 11, 30_000), outcome: 'abandoned' }),
  // day 1: waited 5 s, handled by bob
  interaction('WT4', { createdMs: at(1, 9), answeredMs: at(1, 9, 5000), endedMs: at(1, 9, 65_000), outcome: 'completed', workerSid: 'WK2', workerName: 'bob' }),
];
const surveys: SurveyRow[] = [
  { surveyTaskSid: 'WTS1', linkedTaskSid: 'WT1', customerKey: '+14155550100', score: 4, scale: 5, questions: [], completedMs: at(0, 10, 400_000) },
  { surveyTaskSid: 'WTS2', linkedTaskSid: 'WT2', customerKey: '+14155550100', score: 2, scale: 5, questions: [], completedMs: at(0, 13) }, // late (> 1 h)
  { surveyTaskSid: 'WTS4', linkedTaskSid: 'WT4', customerKey: '+14155550100', score: 7, scale: 10, questions: [], completedMs: at(1, 9, 100_000) }, // another scale
];
const rawEvents: RawEvent[] = [
  activity('EV1', at(0, 8), 'Available'),
  activity('EV2', at(0, 10), 'Busy'),
  activity('EV3', at(0, 10, 315_000), 'Available'),
  activity('EV4', at(0, 22), 'Offline'), // until the next update / the end: crosses midnight
  activity('EV5', at(1, 8), 'Available', 'WK2'),
  reservation('EV6', 'reservation.timeout', at(0, 9), 'WTX'),
  reservation('EV7', 'reservation.canceled', at(0, 9.5), 'WTY'),
  reservation('EV11', 'reservation.rejected', at(0, 11, 10_000), 'WT3'), // the sms task of queue WQ2
  { key: 'EV8', type: 'task.created', occurredMs: at(0, 12), taskSid: 'WTS3', via: 'poll', data: { task_sid: 'WTS3' } },
  { key: 'EV9', type: 'task.created', occurredMs: at(0, 10), taskSid: 'WT1', via: 'poll', data: { task_sid: 'WT1' } },
];

function runReads(name: string, open: () => Promise<Store>): void {
  describe(`${name}: analytics reads`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
      await store.commit(C, { rawEvents, interactions, surveys });
    });
    afterAll(async () => store?.close());

    it('queue groups per (queue, channel, day): counts, wait lists, handle sums, linked CSAT', async () => {
      const rows = await store.queueGroups(C, { by: 'day' });
      const sorted = rows.map((r) => ({ ...r, waitsMs: [...r.waitsMs].sort((a, b) => a - b) })).sort((a, b) => a.periodMs - b.periodMs || String(a.queueSid).localeCompare(String(b.queueSid)));
      expect(sorted).toEqual([
        { queueSid: 'WQ1', queueName: 'Voice Support', channel: 'voice', periodMs: at(0, 0), entered: 2, answered: 2, abandoned: 0, timedOut: 0, waitsMs: [15_000, 40_000], handled: 2, handleSumMs: 420_000, handledWorkers: ['WK1'], csatCount: 2, csatSum: 6 },
        { queueSid: 'WQ2', queueName: 'Messaging Support', channel: 'sms', periodMs: at(0, 0), entered: 1, answered: 0, abandoned: 1, timedOut: 0, waitsMs: [], handled: 0, handleSumMs: 0, handledWorkers: [], csatCount: 0, csatSum: 0 },
        { queueSid: 'WQ1', queueName: 'Voice Support', channel: 'voice', periodMs: at(1, 0), entered: 1, answered: 1, abandoned: 0, timedOut: 0, waitsMs: [5000], handled: 1, handleSumMs: 60_000, handledWorkers: ['WK2'], csatCount: 1, csatSum: 3.5 },
      ]);
      // on a 10-point scale: 4 and 2 of 5 count 8 and 4, 7 of 10 counts 7
      expect((await store.queueGroups(C, { by: 'day', csatScale: 10 })).map((r) => [r.periodMs, r.queueSid, r.csatCount, r.csatSum]).sort()).toEqual([
        [at(0, 0), 'WQ1', 2, 12], [at(0, 0), 'WQ2', 0, 0], [at(1, 0), 'WQ1', 1, 7],
      ].sort());
      expect((await store.queueGroups(C, { by: 'hour', sinceMs: at(0, 10.5), untilMs: at(1, 0) })).map((r) => [r.periodMs, r.entered])).toEqual(expect.arrayContaining([[at(0, 10), 1], [at(0, 11), 1]]));
      expect(await store.queueGroups(C, { by: 'day', queueSids: ['WQ2'] })).toHaveLength(1);
      expect(await store.queueGroups(C, { by: 'day', queueSids: [] })).toEqual([]);
    });

    it('agent groups per (worker, day of created_at)', async () => {
      const rows = (await store.agentGroups(C, {})).map((r) => ({ ...r, handleMs: [...r.handleMs].sort((a, b) => a - b) })).sort((a, b) => a.dayMs - b.dayMs);
      expect(rows).toEqual([
        { workerSid: 'WK1', workerName: 'alice', dayMs: at(0, 0), handleMs: [120_000, 300_000], wrapupSumMs: 60_000, wrapupCount: 1, csatCount: 2, csatSum: 6 },
        { workerSid: 'WK2', workerName: 'bob', dayMs: at(1, 0), handleMs: [60_000], wrapupSumMs: 0, wrapupCount: 0, csatCount: 1, csatSum: 3.5 },
      ]);
      expect((await store.agentGroups(C, { csatScale: 10 })).map((r) => [r.workerSid, r.csatCount, r.csatSum]).sort()).toEqual([['WK1', 2, 12], ['WK2', 1, 7]]);
    });

    it('activity time per worker, day and activity, split at midnight and clipped to [since, end)', async () => {
      const key = (r: { workerSid: string; dayMs: number; activity: string | null }) => `${r.workerSid} ${new Date(r.dayMs).toISOString().slice(0, 10)} ${r.activity}`;
      const all = Object.fromEntries((await store.activityGroups(C, { endMs: at(1, 10) })).map((r) => [key(r), r.ms]));
      expect(all).toEqual({
        'WK1 2026-11-02 Available': 2 * H + (22 * H - at(0, 10, 315_000) + D0),
        'WK1 2026-11-02 Busy': 315_000,
        'WK1 2026-11-02 Offline': 2 * H,
        'WK1 2026-11-03 Offline': 10 * H,
        'WK2 2026-11-03 Available': 2 * H,
      });
      const clipped = Object.fromEntries((await store.activityGroups(C, { sinceMs: at(0, 23), endMs: at(1, 1) })).map((r) => [key(r), r.ms]));
      expect(clipped).toEqual({ 'WK1 2026-11-02 Offline': H, 'WK1 2026-11-03 Offline': H });
      expect((await store.activityGroups(C, { endMs: at(1, 10) }))[0]?.workerName).toMatch(/alice|bob/);
    });

    it('reservation outcomes per worker and day; CSAT groups with late flags; tasks without records', async () => {
      expect((await store.reservationGroups(C, { endMs: at(2, 0) })).map((r) => [r.workerSid, r.dayMs, r.type, r.count]).sort()).toEqual([
        ['WK1', at(0, 0), 'reservation.canceled', 1], ['WK1', at(0, 0), 'reservation.rejected', 1], ['WK1', at(0, 0), 'reservation.timeout', 1],
      ]);
      expect(await store.reservationGroups(C, { sinceMs: at(0, 9.25), endMs: at(2, 0) })).toHaveLength(2);
      // a queue filter keeps the reservations of that queue's tasks only (as the other sections filter interactions)
      expect((await store.reservationGroups(C, { endMs: at(2, 0), queueSids: ['WQ2'] })).map((r) => [r.type, r.count])).toEqual([['reservation.rejected', 1]]);
      expect(await store.reservationGroups(C, { endMs: at(2, 0), queueSids: ['WQ1'] })).toEqual([]);
      expect(await store.reservationGroups(C, { endMs: at(2, 0), queueSids: [] })).toEqual([]);
      const csat = (await store.csatGroups(C, { lateMs: H })).sort((a, b) => a.score - b.score);
      expect(csat).toEqual([
        { dayMs: at(0, 0), score: 2, scale: 5, channel: 'voice', queueSid: 'WQ1', late: true, count: 1 },
        { dayMs: at(0, 0), score: 4, scale: 5, channel: 'voice', queueSid: 'WQ1', late: false, count: 1 },
        { dayMs: at(1, 0), score: 7, scale: 10, channel: 'voice', queueSid: 'WQ1', late: false, count: 1 },
      ]);
      expect(await store.csatGroups(C, { lateMs: H, queueSids: ['WQ2'] })).toEqual([]);
      expect(await store.tasksWithoutRecords(C, {})).toEqual(['WTS3']);
      expect(await store.tasksWithoutRecords(C, { untilMs: at(0, 11) })).toEqual([]);
      expect((await store.analyticsQueues(C)).sort((a, b) => a.queueSid.localeCompare(b.queueSid))).toEqual([
        { queueSid: 'WQ1', queueName: 'Voice Support' }, { queueSid: 'WQ2', queueName: 'Messaging Support' },
      ]);
    });

    it('worker_activity follows raw event inserts (duplicates ignored) and deletes', async () => {
      await store.commit(C, { rawEvents: [activity('EV1', at(0, 8), 'Available'), activity('EV10', at(1, 9), 'Break', 'WK2')] });
      const rows = await store.activityGroups(C, { sinceMs: at(1, 0), endMs: at(1, 10) });
      expect(rows.filter((r) => r.workerSid === 'WK2').map((r) => [r.activity, r.ms]).sort()).toEqual([['Available', H], ['Break', H]]);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tajo-analytics-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
runReads('sqlite', () => SqliteStore.open(join(dir, 'tajo.db')));

const available = await postgresAvailable();
if (!available) console.warn(`Postgres analytics reads skipped: no server at ${new URL(TEST_DATABASE_URL).host}`);
describe.runIf(available)('postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());
  runReads('postgres', () => PostgresStore.open(db.url, { max: 2 }));
});

