/**
 * The ground truth: what a correct connector must produce in Brevo (docs/SEMANTICS.md), computed only from the
 * generator's own model (`gen_*` tables), never from the world rows.
 *
 * Resolutions of points SEMANTICS leaves open (keep in sync with the report / docs):
 * - Event properties are the interaction's state *as of the event's own time*: SUPPORT_REQUESTED carries the queue at
 *   task.created and no agent/wait/handle; SUPPORT_RESOLVED carries everything; CONVERSATION_ENDED (voice: wrap-up;
 *   messaging: conversation close, which happens during wrap-up) carries agent and wait but no handle_seconds, because the
 *   task has not ended yet; SUPPORT_ABANDONED carries wait_seconds = canceled − created and cancel_reason (the
 *   task_canceled_reason the generator sent, as its model recorded it: a hang-up or a customer who left, lifecycle.ts
 *   `abandonReason`, or "Task TTL Exceeded" when the task's TTL ran out, `TTL_EXCEEDED`; a model written before the
 *   reason was recorded only sent customer reasons). Timeouts are SUPPORT_ABANDONED too and count in ABANDONS_30D.
 * - Abandoned vs timed out (queue metrics): `isTimeoutReason` below, SEMANTICS §1's rule written here from the doc.
 * - CSAT_SUBMITTED properties: tajo_id, task_sid (the survey task), linked_task_sid, channel, queue (final queue of the
 *   linked interaction), agent, agent_sid, csat_score, csat_scale, questions (every answered measure, 1..N, with its
 *   label), low_score (score ≤ 2).
 * - `csat_respondents`: customers with ≥ 1 *completed* survey. ABANDONS_30D: created_at ≥ now − 30 days. ABANDONS_30D and
 *   SUPPORT_TICKET_COUNT are always present (0 is a value); other absent values are omitted.
 * - Seconds: every generated time is a multiple of 100 ms, so one duration is exact to 1 decimal; means are rounded
 *   half up (Math.round) to 1 decimal.
 */
import type Database from 'better-sqlite3';
import type { InteractionRecord, SurveyRecord } from './model.js';
import { rowToInteraction, rowToSurvey } from './model.js';
import type { Customer } from './population.js';
import type { Channel } from './scales.js';
import { CHANNELS } from './scales.js';
import { abandonReason } from './lifecycle.js';

export type ListKey = 'support_contacts' | 'csat_respondents';

export interface TruthContact {
  ext_id: string;
  email?: string;
  attributes: Record<string, string | number>;
  listKeys: ListKey[];
  smsBlacklisted?: true;
  whatsappBlacklisted?: true;
}

export interface TruthEvent {
  name: string;
  ext_id: string;
  email_id?: string;
  source_sid: string;
  /** ISO-8601 UTC with milliseconds. */
  event_date: string;
  properties: Record<string, unknown>;
}

export interface QueueMetric {
  queue_sid: string;
  queue_name: string;
  day: string;
  channel: Channel;
  entered: number;
  answered: number;
  /** Customer abandonments only (SEMANTICS §1); the timeouts are in `timed_out`. */
  abandoned: number;
  /** Abandoned interactions TaskRouter canceled itself (cancel_reason a timeout: "Task TTL Exceeded"). */
  timed_out: number;
  wait_p50: number | null;
  wait_p90: number | null;
  wait_max: number | null;
  answered_within_sl: number;
}

export interface AgentMetric {
  worker_sid: string;
  worker_name: string;
  day: string;
  tasks_handled: number;
  avg_handle: number | null;
  p90_handle: number | null;
  avg_wrapup: number | null;
  time_available: number;
  time_busy: number;
  time_break: number;
  time_offline: number;
  avg_csat: number | null;
}

export interface GroundTruth {
  nowMs: number;
  counts: {
    interactions: number;
    customers: number;
    agents: number;
    queues: number;
    /** Expected Brevo events (= events.length when the events are included). */
    events: number;
    surveys: number;
    surveysLate: number;
    surveysAbsent: number;
    deadLetters: number;
    /** TaskRouter event rows in the world (not Brevo events). */
    taskrouterEvents: number;
  };
  contacts: TruthContact[];
  events: TruthEvent[];
  deadLetters: Array<{ source_sid: string; reason: string }>;
  metrics: {
    queues: QueueMetric[];
    agents: AgentMetric[];
    channels: Record<Channel, number>;
    csat: { count: number; avg: number | null; distribution: Record<string, number> };
  };
}

export const DAY_MS = 86_400_000;
export const LOW_SCORE_THRESHOLD = 2;

/** Seconds, 1 decimal, from milliseconds. */
export const secs1 = (ms: number): number => Math.round(ms / 100) / 10;
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The `task_canceled_reason` an abandoned interaction was canceled with (see the header). */
export function cancelReasonOf(i: Pick<InteractionRecord, 'cancelReason' | 'channel'>): string {
  return i.cancelReason ?? abandonReason(i.channel);
}

/**
 * SEMANTICS §1, written from the doc (never imported from the connector): a cancel reason that, lower-cased, contains
 * "ttl exceeded", "timeout", "timed out" or "max assignment count exceeded" is a timeout; any other is an abandonment.
 */
export function isTimeoutReason(reason: string): boolean {
  const r = reason.toLowerCase();
  return ['ttl exceeded', 'timeout', 'timed out', 'max assignment count exceeded'].some((p) => r.includes(p));
}

export interface CustomerGroup {
  customer: Customer;
  /** Valid (synced) interactions, oldest first. */
  interactions: InteractionRecord[];
  /** Completed surveys linked to those interactions, keyed by interaction task sid. */
  surveys: Map<string, SurveyRecord[]>;
}

export function loadCompletedSurveys(db: Database.Database): Map<string, SurveyRecord[]> {
  const out = new Map<string, SurveyRecord[]>();
  for (const row of db.prepare('SELECT * FROM gen_surveys WHERE completed_ms IS NOT NULL ORDER BY completed_ms, survey_sid').iterate()) {
    const s = rowToSurvey(row as Record<string, unknown>);
    const list = out.get(s.taskSid);
    if (list === undefined) out.set(s.taskSid, [s]);
    else list.push(s);
  }
  return out;
}

/** Streams customers with their valid interactions (bounded memory: one customer at a time). */
export function* customerGroups(db: Database.Database, surveys: Map<string, SurveyRecord[]>): Generator<CustomerGroup> {
  const customers = db.prepare('SELECT data FROM gen_customers WHERE idx = ?');
  let current: CustomerGroup | null = null;
  const rows = db.prepare("SELECT * FROM gen_interactions WHERE kind = 'ok' ORDER BY customer_idx, created_ms, task_sid").iterate();
  for (const row of rows) {
    const r = rowToInteraction(row as Record<string, unknown>);
    if (current === null || current.customer.idx !== r.customerIdx) {
      if (current !== null) yield current;
      const c = customers.get(r.customerIdx) as { data: string } | undefined;
      if (c === undefined) throw new Error(`model: unknown customer ${r.customerIdx}`);
      current = { customer: JSON.parse(c.data) as Customer, interactions: [], surveys: new Map() };
    }
    current.interactions.push(r);
    const s = surveys.get(r.taskSid);
    if (s !== undefined) current.surveys.set(r.taskSid, s);
  }
  if (current !== null) yield current;
}

const nonEmpty = (v: string | null): v is string => v !== null && v !== '';

export function contactOf(g: CustomerGroup, nowMs: number): TruthContact {
  const list = g.interactions;
  const latest = list[list.length - 1];
  if (latest === undefined) throw new Error('customer group without interactions');
  const a: Record<string, string | number> = { FLEX_IDENTITY: g.customer.extId };
  if (nonEmpty(latest.name)) a.FIRSTNAME = latest.name;
  if (latest.phone !== null) a.SMS = latest.phone;
  const wa = list.filter((i) => i.whatsapp !== null).pop();
  if (wa?.whatsapp != null) a.WHATSAPP = wa.whatsapp;
  a.LAST_SUPPORT_DATE = isoDay(latest.createdMs);
  a.SUPPORT_TICKET_COUNT = list.length;
  const answered = list.filter((i) => i.answeredMs !== null);
  if (answered.length > 0) {
    const sum = answered.reduce((s, i) => s + ((i.answeredMs as number) - i.createdMs), 0);
    a.AVG_WAIT_TIME = secs1(sum / answered.length);
    const last = answered[answered.length - 1] as InteractionRecord;
    a.LAST_WAIT_TIME = secs1((last.answeredMs as number) - last.createdMs);
  }
  a.ABANDONS_30D = list.filter((i) => i.outcome === 'abandoned' && i.createdMs >= nowMs - 30 * DAY_MS).length;
  const surveys = [...g.surveys.values()].flat().sort((x, y) => (x.completedMs as number) - (y.completedMs as number));
  const lastSurvey = surveys[surveys.length - 1];
  if (lastSurvey?.score != null) a.CSAT_SCORE = lastSurvey.score;
  a.PREFERRED_CHANNEL = preferredChannel(list);
  const tier = list.map((i) => i.tier).filter(nonEmpty).pop();
  if (tier !== undefined) a.VIP_TIER = tier;
  const account = list.map((i) => i.accountId).filter(nonEmpty).pop();
  if (account !== undefined) a.ACCOUNT_ID = account;
  const contact: TruthContact = { ext_id: g.customer.extId, attributes: a, listKeys: ['support_contacts'] };
  if (latest.email !== null) contact.email = latest.email.trim().toLowerCase();
  if (surveys.length > 0) contact.listKeys.push('csat_respondents');
  if (list.some((i) => i.stopSms)) contact.smsBlacklisted = true;
  if (list.some((i) => i.stopWhatsapp)) contact.whatsappBlacklisted = true;
  return contact;
}

/** Most interactions; ties → the channel of the most recent interaction among the tied channels. */
export function preferredChannel(list: readonly Pick<InteractionRecord, 'channel' | 'createdMs'>[]): string {
  const count = new Map<string, number>();
  const lastAt = new Map<string, number>();
  for (const i of list) {
    const ch = i.channel ?? 'unknown';
    count.set(ch, (count.get(ch) ?? 0) + 1);
    lastAt.set(ch, Math.max(lastAt.get(ch) ?? -Infinity, i.createdMs));
  }
  let best = '';
  for (const ch of count.keys()) {
    const better = best === '' || (count.get(ch) as number) > (count.get(best) as number)
      || ((count.get(ch) as number) === (count.get(best) as number) && (lastAt.get(ch) as number) > (lastAt.get(best) as number));
    if (better) best = ch;
  }
  return best;
}

export function* eventsOf(g: CustomerGroup, contact: TruthContact): Generator<TruthEvent> {
  const ids = (name: string, sid: string, ms: number, properties: Record<string, unknown>): TruthEvent => {
    const e: TruthEvent = { name, ext_id: contact.ext_id, source_sid: sid, event_date: new Date(ms).toISOString(), properties: { tajo_id: `${name}:${sid}`, ...properties } };
    if (contact.email !== undefined) e.email_id = contact.email;
    return e;
  };
  for (const i of g.interactions) {
    const conv = i.conversationSid === null ? {} : { conversation_sid: i.conversationSid };
    const base = { task_sid: i.taskSid, channel: i.channel };
    yield ids('SUPPORT_REQUESTED', i.taskSid, i.createdMs, { ...base, queue: i.queue0Name, ...conv });
    if (i.outcome === 'abandoned') {
      yield ids('SUPPORT_ABANDONED', i.taskSid, i.endedMs, { ...base, queue: i.queueName, ...conv, wait_seconds: secs1(i.endedMs - i.createdMs),
        cancel_reason: cancelReasonOf(i) });
      continue;
    }
    const agent = { agent: i.workerName, agent_sid: i.workerSid, wait_seconds: secs1((i.answeredMs as number) - i.createdMs) };
    yield ids('SUPPORT_RESOLVED', i.taskSid, i.endedMs, { ...base, queue: i.queueName, ...conv, ...agent, handle_seconds: secs1(i.endedMs - (i.answeredMs as number)) });
    if (i.convEndMs !== null) yield ids('CONVERSATION_ENDED', i.taskSid, i.convEndMs, { ...base, queue: i.queueName, ...conv, ...agent });
    for (const s of g.surveys.get(i.taskSid) ?? []) {
      yield ids('CSAT_SUBMITTED', s.surveySid, s.completedMs as number, {
        task_sid: s.surveySid, linked_task_sid: i.taskSid, channel: i.channel, queue: i.queueName,
        agent: i.workerName, agent_sid: i.workerSid, csat_score: s.score, csat_scale: s.scale,
        questions: s.questions.map((q) => ({ label: q.label, score: q.score })),
        low_score: (s.score as number) <= LOW_SCORE_THRESHOLD,
      });
    }
  }
}

/** All expected Brevo events, one customer at a time (for comparisons at the large scale). */
export function* streamTruthEvents(db: Database.Database, nowMs: number): Generator<TruthEvent> {
  for (const g of customerGroups(db, loadCompletedSurveys(db))) yield* eventsOf(g, contactOf(g, nowMs));
}

export function emptyChannels(): Record<Channel, number> {
  return Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
}
