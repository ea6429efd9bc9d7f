import Database from 'better-sqlite3';
import { parsePhoneNumber } from 'awesome-phonenumber';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from './index.js';
import type { GroundTruth } from './index.js';
import { DEFAULT_NOW, hashTables } from './testkit.js';

const NOW = DEFAULT_NOW;
const DAY = 86_400_000;

interface TaskRow { sid: string; attributes: string; assignment_status: string; task_channel_unique_name: string; date_created_ms: number; ended_ms: number | null }
interface EventRow { sid: string; event_type: string; event_date_ms: number; task_sid: string | null; worker_sid: string | null; reservation_sid: string | null; event_data: string }

const tryJson = (s: string): Record<string, unknown> | null => {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};
const isSurvey = (a: Record<string, unknown> | null): boolean =>
  String((a?.conversations as Record<string, unknown> | undefined)?.kind ?? '').toLowerCase() === 'survey';

let db: Database.Database;
let truth: GroundTruth;
let tasks: TaskRow[];
let events: EventRow[];

beforeAll(() => {
  db = new Database(':memory:');
  truth = generateWorld(db, { seed: 42, scale: 'small', nowMs: NOW });
  tasks = db.prepare('SELECT * FROM tasks').all() as TaskRow[];
  events = db.prepare('SELECT * FROM events ORDER BY event_date_ms, seq').all() as EventRow[];
});

describe('generateWorld (small)', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const again = new Database(':memory:');
    const t2 = generateWorld(again, { seed: 42, scale: 'small', nowMs: NOW });
    expect(hashTables(again)).toBe(hashTables(db));
    expect(t2).toEqual(truth);
    const other = new Database(':memory:');
    generateWorld(other, { seed: 43, scale: 'small', nowMs: NOW });
    expect(hashTables(other)).not.toBe(hashTables(db));
  });

  it('generates in well under a second', () => {
    const t = Date.now();
    const cpu = process.cpuUsage();
    generateWorld(new Database(':memory:'), { seed: 5, scale: 'small', nowMs: NOW });
    // CPU time, not wall time: test machines are shared
    expect(process.cpuUsage(cpu).user / 1000).toBeLessThan(1000);
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it('has the preset sizes', () => {
    const interactions = tasks.filter((t) => !isSurvey(tryJson(t.attributes)));
    expect(interactions).toHaveLength(300);
    expect(truth.counts).toMatchObject({ interactions: 300, customers: 200, agents: 8, queues: 4 });
    expect(truth.contacts).toHaveLength(200);
    expect((db.prepare('SELECT COUNT(*) AS n FROM workers').get() as { n: number }).n).toBe(8);
    expect(truth.counts.deadLetters).toBeGreaterThanOrEqual(2);
    expect(new Set(truth.deadLetters.map((d) => d.reason))).toEqual(new Set(['malformed_attributes', 'unknown_channel']));
    expect(truth.counts.taskrouterEvents).toBe(events.length);
  });

  it('fills meta with credentials and SIDs of the right shape', () => {
    const meta = Object.fromEntries((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    expect(meta.account_sid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(meta.workspace_sid).toMatch(/^WS[0-9a-f]{32}$/);
    expect(meta.api_key_sid).toMatch(/^SK[0-9a-f]{32}$/);
    expect(meta.flex_flow_sid).toMatch(/^FO[0-9a-f]{32}$/);
    expect(meta.chat_service_sid).toMatch(/^IS[0-9a-f]{32}$/);
    expect(meta.workflow_sid).toMatch(/^WW[0-9a-f]{32}$/);
    expect(meta.auth_token).toMatch(/^[0-9a-f]{32}$/);
    expect(meta.brevo_api_key).toMatch(/^xkeysib-[0-9a-f]{64}-[A-Za-z0-9]{16}$/);
    expect(meta.now_ms).toBe(String(NOW));
    for (const t of tasks) expect(t.sid).toMatch(/^WT[0-9a-f]{32}$/);
    for (const e of events) expect(e.sid).toMatch(/^EV[0-9a-f]{32}$/);
  });

  it('keeps everything within the 30 days before now', () => {
    for (const e of events) {
      expect(e.event_date_ms).toBeLessThanOrEqual(NOW);
      expect(e.event_date_ms).toBeGreaterThan(NOW - 30 * DAY);
    }
    const q = (sql: string): number => (db.prepare(sql).get() as { m: number }).m;
    expect(q('SELECT MAX(date_created_ms) AS m FROM messages')).toBeLessThanOrEqual(NOW);
    expect(q('SELECT MAX(date_updated_ms) AS m FROM conversations')).toBeLessThanOrEqual(NOW);
    expect(q('SELECT MAX(date_updated_ms) AS m FROM tasks')).toBeLessThanOrEqual(NOW);
    // close times on whole seconds: the Conversations API shows timers.date_closed with second precision
    expect(q('SELECT COUNT(*) AS m FROM conversations WHERE date_closed_ms % 1000 != 0')).toBe(0);
    expect(q("SELECT COUNT(*) AS m FROM conversations WHERE state = 'closed'")).toBeGreaterThan(0);
  });

  it('writes events in time order (seq follows event_date_ms)', () => {
    const bySeq = db.prepare('SELECT event_date_ms FROM events ORDER BY seq').all() as Array<{ event_date_ms: number }>;
    for (let i = 1; i < bySeq.length; i++) expect(bySeq[i]!.event_date_ms).toBeGreaterThanOrEqual(bySeq[i - 1]!.event_date_ms);
    const d = JSON.parse(events.find((e) => e.event_type === 'reservation.accepted')!.event_data) as Record<string, string>;
    expect(d.task_date_created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Object.keys(d)).toEqual(expect.arrayContaining(['task_sid', 'task_attributes', 'task_age', 'task_priority',
      'task_assignment_status', 'task_channel_sid', 'task_channel_unique_name', 'task_queue_sid', 'task_queue_name',
      'task_queue_entered_date', 'workflow_sid', 'workflow_name', 'workspace_sid', 'workspace_name', 'reservation_sid',
      'worker_sid', 'worker_name', 'worker_attributes', 'worker_activity_sid', 'worker_activity_name']));
  });

  it('orders every task\'s events strictly and follows the TaskRouter life cycle', () => {
    const byTask = new Map<string, EventRow[]>();
    for (const e of events) if (e.task_sid !== null) byTask.set(e.task_sid, [...(byTask.get(e.task_sid) ?? []), e]);
    for (const t of tasks) {
      const list = byTask.get(t.sid) ?? [];
      for (let i = 1; i < list.length; i++) expect(list[i]!.event_date_ms).toBeGreaterThan(list[i - 1]!.event_date_ms);
      const types = list.map((e) => e.event_type);
      expect(types[0]).toBe('task.created');
      expect(types[1]).toBe('task-queue.entered');
      if (isSurvey(tryJson(t.attributes))) continue;
      if (t.assignment_status === 'canceled') {
        expect(types).not.toContain('reservation.accepted');
        expect(types[types.length - 1]).toBe('task.canceled');
      } else {
        expect(t.assignment_status).toBe('completed');
        const acc = types.indexOf('reservation.accepted');
        expect(acc).toBeGreaterThan(1);
        expect(types.indexOf('task.wrapup')).toBeGreaterThan(acc);
        expect(types.indexOf('task.completed')).toBeGreaterThan(types.indexOf('task.wrapup'));
      }
      expect(t.ended_ms).toBe(list.find((e) => e.event_type === 'task.completed' || e.event_type === 'task.canceled')?.event_date_ms);
    }
  });

  it('links surveys to completed interactions that ended before the survey', () => {
    const bySid = new Map(tasks.map((t) => [t.sid, t]));
    const surveys = tasks.filter((t) => isSurvey(tryJson(t.attributes)));
    expect(surveys.length).toBe(truth.counts.surveys);
    for (const s of surveys) {
      const a = tryJson(s.attributes)!;
      const conv = a.conversations as Record<string, unknown>;
      const linked = bySid.get(String(conv.conversation_id));
      expect(linked?.assignment_status).toBe('completed');
      expect(s.date_created_ms).toBeGreaterThan(linked!.ended_ms!);
      if (s.assignment_status === 'completed') expect(typeof conv.conversation_measure_1).toBe('number');
      expect(a.survey_scale).toBe(5);
    }
  });

  it('uses valid phone numbers (junk `phone` values only where `from` carries a valid one)', () => {
    const valid = (v: string): boolean => parsePhoneNumber(v.replace('whatsapp:', ''), { regionCode: 'US' }).valid;
    let junk = 0;
    for (const t of tasks) {
      const a = tryJson(t.attributes);
      if (a === null) continue;
      const from = typeof a.from === 'string' && /^(whatsapp:)?\+/.test(a.from) ? a.from : undefined;
      if (from !== undefined) expect(valid(from), from).toBe(true);
      if (typeof a.phone === 'string' && !valid(a.phone)) {
        junk++;
        expect(from, a.phone).toBeDefined();
      }
    }
    expect(junk).toBeLessThan(tasks.length / 20);
    for (const c of truth.contacts) {
      if (typeof c.attributes.SMS === 'string') expect(parsePhoneNumber(c.attributes.SMS).number?.e164).toBe(c.attributes.SMS);
    }
  });

  it('has a consistent truth', () => {
    const valid = truth.counts.interactions - truth.counts.deadLetters;
    const sum = truth.contacts.reduce((s, c) => s + Number(c.attributes.SUPPORT_TICKET_COUNT), 0);
    expect(sum).toBe(valid);
    const n = (name: string): number => truth.events.filter((e) => e.name === name).length;
    expect(n('SUPPORT_REQUESTED')).toBe(valid);
    expect(n('SUPPORT_RESOLVED') + n('SUPPORT_ABANDONED')).toBe(valid);
    expect(n('CSAT_SUBMITTED')).toBe(truth.metrics.csat.count);
    expect(truth.metrics.csat.count).toBe(truth.counts.surveys - truth.counts.surveysAbsent);
    expect(truth.counts.events).toBe(truth.events.length);
    expect(new Set(truth.events.map((e) => e.properties.tajo_id)).size).toBe(truth.events.length);
    expect(Object.values(truth.metrics.channels).reduce((s, x) => s + x, 0)).toBe(valid);
    expect(truth.metrics.queues.reduce((s, q) => s + q.entered, 0)).toBe(valid);
    const respondents = truth.contacts.filter((c) => c.listKeys.includes('csat_respondents'));
    expect(respondents.length).toBe(truth.contacts.filter((c) => c.attributes.CSAT_SCORE !== undefined).length);
    expect(new Set(truth.contacts.map((c) => c.ext_id)).size).toBe(truth.contacts.length);
    const abandoned = n('SUPPORT_ABANDONED') / valid;
    expect(abandoned).toBeGreaterThan(0.03);
    expect(abandoned).toBeLessThan(0.2);
    for (const e of truth.events) {
      expect(e.event_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(e.event_date)).toBeLessThanOrEqual(NOW);
    }
  });

  it('cancels a queued task either for the customer (a hang-up) or for its TTL ("Task TTL Exceeded"), and the truth carries that reason', () => {
    const ttl = (t: TaskRow & { timeout: number }): number => (t.task_channel_unique_name === 'voice' ? 900 : 3600);
    const byTask = new Map((db.prepare('SELECT * FROM tasks').all() as Array<TaskRow & { timeout: number; reason: string | null }>).map((t) => [t.sid, t]));
    const truthReason = new Map(truth.events.filter((e) => e.name === 'SUPPORT_ABANDONED').map((e) => [e.source_sid, e.properties.cancel_reason]));
    let timeouts = 0;
    let customers = 0;
    for (const e of events.filter((x) => x.event_type === 'task.canceled' && truthReason.has(x.task_sid ?? ''))) {
      const d = JSON.parse(e.event_data) as Record<string, string>;
      const t = byTask.get(e.task_sid ?? '')!;
      expect(truthReason.get(t.sid)).toBe(d.task_canceled_reason);
      // a task's Timeout is its TTL: 15 min for a call, 60 min for messaging
      expect(t.timeout).toBe(ttl(t));
      if (d.task_canceled_reason === 'Task TTL Exceeded') {
        timeouts++;
        expect(Number(d.task_age)).toBeGreaterThanOrEqual(t.timeout);
        expect(t.reason).toBe('Task TTL Exceeded');
      } else {
        customers++;
        expect(['Caller hung up', 'Customer left the conversation']).toContain(d.task_canceled_reason);
        expect(Number(d.task_age)).toBeLessThan(t.timeout);
      }
    }
    expect(timeouts).toBeGreaterThan(0);
    expect(customers).toBeGreaterThan(timeouts);
    const q = (k: 'abandoned' | 'timed_out'): number => truth.metrics.queues.reduce((s, x) => s + x[k], 0);
    expect([q('abandoned'), q('timed_out')]).toEqual([customers, timeouts]);
  });

  it('keeps worker activity timelines consistent with reservations', () => {
    const state = new Map<string, string>();
    for (const e of events) {
      const d = JSON.parse(e.event_data) as Record<string, string>;
      if (e.event_type === 'worker.activity.update') {
        const prev = state.get(d.worker_sid!) ?? 'Offline';
        expect(d.worker_previous_activity_name).toBe(prev);
        expect(d.worker_activity_name).not.toBe(prev);
        state.set(d.worker_sid!, d.worker_activity_name!);
      } else if (e.event_type === 'reservation.created') {
        expect(state.get(d.worker_sid!)).toBe('Available');
        expect(d.worker_activity_name).toBe('Available');
      }
    }
  });
});
