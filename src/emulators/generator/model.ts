/**
 * The generator's own model of what it generated, kept in `gen_*` tables beside the world. The ground truth is
 * computed from these rows only (never by parsing the world rows the connector reads), and `generateMore` continues
 * from them.
 */
import type Database from 'better-sqlite3';

export const GEN_DDL = `
CREATE TABLE IF NOT EXISTS gen_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gen_customers (idx INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gen_workers (sid TEXT PRIMARY KEY, idx INTEGER NOT NULL, data TEXT NOT NULL,
  activity TEXT NOT NULL, since_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gen_interactions (
  seq INTEGER PRIMARY KEY, task_sid TEXT NOT NULL UNIQUE, customer_idx INTEGER NOT NULL, kind TEXT NOT NULL,
  channel TEXT, queue0_name TEXT NOT NULL, queue_sid TEXT NOT NULL, queue_name TEXT NOT NULL,
  worker_sid TEXT, worker_name TEXT, created_ms INTEGER NOT NULL, answered_ms INTEGER, wrapup_ms INTEGER,
  ended_ms INTEGER NOT NULL, outcome TEXT NOT NULL, conversation_sid TEXT, conv_end_ms INTEGER,
  name TEXT, email TEXT, phone TEXT, whatsapp TEXT, tier TEXT, account_id TEXT,
  stop_sms INTEGER NOT NULL DEFAULT 0, stop_whatsapp INTEGER NOT NULL DEFAULT 0, cancel_reason TEXT);
CREATE INDEX IF NOT EXISTS gen_interactions_customer ON gen_interactions (customer_idx, created_ms);
CREATE TABLE IF NOT EXISTS gen_surveys (survey_sid TEXT PRIMARY KEY, task_sid TEXT NOT NULL, created_ms INTEGER NOT NULL,
  completed_ms INTEGER, status TEXT NOT NULL, score INTEGER, questions TEXT NOT NULL, scale INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS gen_surveys_task ON gen_surveys (task_sid);
CREATE TABLE IF NOT EXISTS gen_activity (worker_sid TEXT NOT NULL, start_ms INTEGER NOT NULL, activity TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS gen_activity_worker ON gen_activity (worker_sid, start_ms);
`;

export type Outcome = 'completed' | 'abandoned';
export type Kind = 'ok' | 'malformed_attributes' | 'unknown_channel';

/** One interaction as the generator made it (values exactly as put into the task attributes, pre-normalised). */
export interface InteractionRecord {
  taskSid: string;
  customerIdx: number;
  kind: Kind;
  channel: string | null;
  queue0Name: string;
  queueSid: string;
  queueName: string;
  workerSid: string | null;
  workerName: string | null;
  createdMs: number;
  answeredMs: number | null;
  wrapupMs: number | null;
  endedMs: number;
  outcome: Outcome;
  /** The `task_canceled_reason` the generator sent (abandoned only: a customer who left, or "Task TTL Exceeded"), else null. */
  cancelReason: string | null;
  conversationSid: string | null;
  /** CONVERSATION_ENDED time: voice task.wrapup; messaging the close time; null while open or not completed. */
  convEndMs: number | null;
  name: string | null;
  /** `attributes.email` as typed (mixed case / spaces), or null. */
  email: string | null;
  /** E.164 of `attributes.phone` (the generator formatted it from this), or null when the attribute is absent. */
  phone: string | null;
  /** E.164 of the WhatsApp sender for whatsapp interactions. */
  whatsapp: string | null;
  tier: string | null;
  accountId: string | null;
  stopSms: boolean;
  stopWhatsapp: boolean;
}

export interface SurveyRecord {
  surveySid: string;
  taskSid: string;
  createdMs: number;
  completedMs: number | null;
  status: 'ontime' | 'late' | 'absent';
  score: number | null;
  questions: Array<{ label: string; score: number }>;
  scale: number;
}

export class ModelWriter {
  private readonly insInteraction: Database.Statement;
  private readonly insSurvey: Database.Statement;
  private readonly insActivity: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(GEN_DDL);
    // a model written before cancel_reason existed (generateMore continues it): its cancels were all customer ones
    const cols = db.prepare("SELECT name FROM pragma_table_info('gen_interactions')").all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === 'cancel_reason')) db.exec('ALTER TABLE gen_interactions ADD COLUMN cancel_reason TEXT');
    this.insInteraction = db.prepare(`INSERT INTO gen_interactions (task_sid, customer_idx, kind, channel, queue0_name,
      queue_sid, queue_name, worker_sid, worker_name, created_ms, answered_ms, wrapup_ms, ended_ms, outcome,
      conversation_sid, conv_end_ms, name, email, phone, whatsapp, tier, account_id, stop_sms, stop_whatsapp, cancel_reason)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    this.insSurvey = db.prepare(`INSERT INTO gen_surveys (survey_sid, task_sid, created_ms, completed_ms, status, score,
      questions, scale) VALUES (?,?,?,?,?,?,?,?)`);
    this.insActivity = db.prepare('INSERT INTO gen_activity (worker_sid, start_ms, activity) VALUES (?,?,?)');
  }

  interaction(r: InteractionRecord): void {
    this.insInteraction.run(r.taskSid, r.customerIdx, r.kind, r.channel, r.queue0Name, r.queueSid, r.queueName,
      r.workerSid, r.workerName, r.createdMs, r.answeredMs, r.wrapupMs, r.endedMs, r.outcome, r.conversationSid,
      r.convEndMs, r.name, r.email, r.phone, r.whatsapp, r.tier, r.accountId, r.stopSms ? 1 : 0, r.stopWhatsapp ? 1 : 0, r.cancelReason);
  }

  survey(s: SurveyRecord): void {
    this.insSurvey.run(s.surveySid, s.taskSid, s.createdMs, s.completedMs, s.status, s.score, JSON.stringify(s.questions), s.scale);
  }

  activity(workerSid: string, startMs: number, activity: string): void {
    this.insActivity.run(workerSid, startMs, activity);
  }
}

export function getState(db: Database.Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM gen_state WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setState(db: Database.Database, key: string, value: string): void {
  db.prepare('INSERT INTO gen_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

export function rowToInteraction(row: Record<string, unknown>): InteractionRecord {
  const s = (k: string): string | null => (row[k] == null ? null : String(row[k]));
  const n = (k: string): number | null => (row[k] == null ? null : Number(row[k]));
  return {
    taskSid: String(row.task_sid),
    customerIdx: Number(row.customer_idx),
    kind: String(row.kind) as Kind,
    channel: s('channel'),
    queue0Name: String(row.queue0_name),
    queueSid: String(row.queue_sid),
    queueName: String(row.queue_name),
    workerSid: s('worker_sid'),
    workerName: s('worker_name'),
    createdMs: Number(row.created_ms),
    answeredMs: n('answered_ms'),
    wrapupMs: n('wrapup_ms'),
    endedMs: Number(row.ended_ms),
    outcome: String(row.outcome) as Outcome,
    cancelReason: s('cancel_reason'),
    conversationSid: s('conversation_sid'),
    convEndMs: n('conv_end_ms'),
    name: s('name'),
    email: s('email'),
    phone: s('phone'),
    whatsapp: s('whatsapp'),
    tier: s('tier'),
    accountId: s('account_id'),
    stopSms: Number(row.stop_sms) === 1,
    stopWhatsapp: Number(row.stop_whatsapp) === 1,
  };
}

export function rowToSurvey(row: Record<string, unknown>): SurveyRecord {
  return {
    surveySid: String(row.survey_sid),
    taskSid: String(row.task_sid),
    createdMs: Number(row.created_ms),
    completedMs: row.completed_ms == null ? null : Number(row.completed_ms),
    status: String(row.status) as SurveyRecord['status'],
    score: row.score == null ? null : Number(row.score),
    questions: JSON.parse(String(row.questions)) as SurveyRecord['questions'],
    scale: Number(row.scale),
  };
}
