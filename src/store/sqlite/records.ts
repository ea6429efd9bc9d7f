/** The commit write path and the reads the engine derives records from. */
import { TajoError } from '../../core/errors.js';
import { lastByKey, normaliseOutbox, RAW_EVENT_UPGRADE, rawEventCopies } from '../batch.js';
import { CustomerConflictError, versionConflicts } from '../customerVersion.js';
import { letterNamesPerson, namesPerson, personIdentities, refuseForgotten, taskSidsOf, traceNeedles } from '../forgotten.js';
import { staleInteractionSql } from '../interactionStaleness.js';
import type { CheckpointWrite, CommitBatch, CommitResult, CustomerIdentityQuery, CustomerRow, ForgetCounts, InteractionRow, RawEvent, SurveyRow } from '../types.js';
import type { SqliteDb } from './db.js';
import { enqueue, putDeadLetter } from './outbox.js';
import {
  byEmail, identityKeys, iso, json, toCustomer, toInteraction, toRawEvent, toSurvey, type CustomerCols, type InteractionCols, type RawEventCols, type SurveyCols,
} from '../rows.js';

/** Optimistic checkpoint write (Nango's upsert … WHERE version = ? RETURNING); no row back means a conflict. */
function writeCheckpoint(db: SqliteDb, connectorId: string, cp: CheckpointWrite, at: string): number {
  const row =
    cp.expectedVersion === 0
      ? db.stmt(`INSERT INTO checkpoints (connector_id, stream, partition, value, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)
          ON CONFLICT (connector_id, stream, partition) DO NOTHING RETURNING version`).get(connectorId, cp.stream, cp.partition, json(cp.value), at)
      : db.stmt(`UPDATE checkpoints SET value = ?, version = version + 1, updated_at = ?
          WHERE connector_id = ? AND stream = ? AND partition = ? AND version = ? RETURNING version`).get(
          json(cp.value), at, connectorId, cp.stream, cp.partition, cp.expectedVersion);
  if (!row) {
    throw new TajoError('TAJO_CHECKPOINT_CONFLICT', `Checkpoint ${cp.stream}/${cp.partition} was updated by another process (expected version ${cp.expectedVersion})`);
  }
  return (row as { version: number }).version;
}

const INSERT_RAW = `INSERT INTO raw_events (connector_id, key, type, occurred_ms, task_sid, worker_sid, conversation_sid, via, data, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (connector_id, key) ${RAW_EVENT_UPGRADE}`;

const UPSERT_INTERACTION = `INSERT INTO interactions (connector_id, task_sid, customer_key, channel, queue_sid, queue_name, worker_sid, worker_name,
  created_ms, answered_ms, wrapup_ms, ended_ms, outcome, conversation_sid, conversation_closed_ms, wait_seconds, handle_seconds, attributes, updated_at,
  cancel_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (connector_id, task_sid) DO UPDATE SET customer_key = excluded.customer_key, channel = excluded.channel,
  queue_sid = excluded.queue_sid, queue_name = excluded.queue_name, worker_sid = excluded.worker_sid, worker_name = excluded.worker_name,
  created_ms = excluded.created_ms, answered_ms = excluded.answered_ms, wrapup_ms = excluded.wrapup_ms, ended_ms = excluded.ended_ms,
  outcome = excluded.outcome, conversation_sid = excluded.conversation_sid, conversation_closed_ms = excluded.conversation_closed_ms,
  wait_seconds = excluded.wait_seconds, handle_seconds = excluded.handle_seconds, attributes = excluded.attributes, updated_at = excluded.updated_at,
  cancel_reason = excluded.cancel_reason
WHERE NOT (${staleInteractionSql('interactions', 'excluded')})`;

const UPSERT_SURVEY = `INSERT INTO surveys (connector_id, survey_task_sid, linked_task_sid, customer_key, score, scale, questions, completed_ms, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (connector_id, survey_task_sid) DO UPDATE SET linked_task_sid = excluded.linked_task_sid, customer_key = excluded.customer_key,
  score = excluded.score, scale = excluded.scale, questions = excluded.questions, completed_ms = excluded.completed_ms, updated_at = excluded.updated_at`;

/**
 * Opt-outs are sticky (docs/SEMANTICS.md §6: never cleared by Tajo). Optimistic version (customerVersion.ts): the
 * update applies only where the stored version is the one the row was derived from (last parameter).
 */
const UPSERT_CUSTOMER = `INSERT INTO customers (connector_id, key, email, phone, whatsapp, chat_identity, sms_blacklisted, whatsapp_blacklisted, pushed_hash, updated_at, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (connector_id, key) DO UPDATE SET email = excluded.email, phone = excluded.phone, whatsapp = excluded.whatsapp,
  chat_identity = excluded.chat_identity, sms_blacklisted = max(customers.sms_blacklisted, excluded.sms_blacklisted),
  whatsapp_blacklisted = max(customers.whatsapp_blacklisted, excluded.whatsapp_blacklisted), pushed_hash = excluded.pushed_hash,
  updated_at = excluded.updated_at, version = customers.version + 1
WHERE customers.version = ?
RETURNING version`;

export function commit(db: SqliteDb, connectorId: string, batch: CommitBatch, nowMs: number): CommitResult {
  const at = iso(nowMs);
  return db.tx(() => {
    const result: CommitResult = { outboxInserted: 0, rawEventsInserted: 0 };
    // a person forgotten while this batch was planned: refused for them (re-derived without their tasks)
    batch = refuseForgotten(batch, forgottenTasksIn(db, connectorId, taskSidsOf(batch)));
    if (batch.checkpoint) result.checkpointVersion = writeCheckpoint(db, connectorId, batch.checkpoint, at);
    if (batch.rawEvents?.length) {
      const s = db.stmt(INSERT_RAW);
      for (const e of rawEventCopies(batch.rawEvents)) {
        result.rawEventsInserted += s.run(connectorId, e.key, e.type, e.occurredMs, e.taskSid ?? null, e.workerSid ?? null, e.conversationSid ?? null, e.via, json(e.data), at).changes;
      }
    }
    if (batch.interactions?.length) {
      const s = db.stmt(UPSERT_INTERACTION);
      for (const i of batch.interactions) {
        s.run(connectorId, i.taskSid, i.customerKey, i.channel, i.queueSid, i.queueName, i.workerSid, i.workerName, i.createdMs, i.answeredMs,
          i.wrapupMs, i.endedMs, i.outcome, i.conversationSid, i.conversationClosedMs, i.waitSeconds, i.handleSeconds, json(i.attributes), i.updatedAt,
          i.cancelReason ?? null);
      }
    }
    if (batch.surveys?.length) {
      const s = db.stmt(UPSERT_SURVEY);
      for (const v of batch.surveys) {
        s.run(connectorId, v.surveyTaskSid, v.linkedTaskSid, v.customerKey, v.score, v.scale, json(v.questions), v.completedMs, at);
      }
    }
    if (batch.customers?.length) {
      const s = db.stmt(UPSERT_CUSTOMER);
      const rows = lastByKey(batch.customers, (c) => c.key);
      const written = new Map<string, number>();
      for (const c of rows) {
        const row = s.get(connectorId, c.key, c.email, c.phone, c.whatsapp, c.chatIdentity, c.smsBlacklisted ? 1 : 0, c.whatsappBlacklisted ? 1 : 0, c.pushedHash,
          c.updatedAt, c.version) as { version: number } | undefined;
        if (row) written.set(c.key, row.version);
      }
      // thrown inside the transaction: nothing of the batch is written
      const conflicts = versionConflicts(rows, written);
      if (conflicts.length) throw new CustomerConflictError(conflicts);
    }
    for (const item of normaliseOutbox(batch.outbox ?? [])) result.outboxInserted += enqueue(db, connectorId, item, nowMs);
    for (const letter of batch.deadLetters ?? []) putDeadLetter(db, connectorId, letter, nowMs);
    if (batch.processedInboxIds?.length) {
      const s = db.stmt(`UPDATE inbox SET status = 'processed', claimed_by = NULL, claimed_until_ms = NULL, processed_at = ? WHERE id = ?`);
      for (const id of batch.processedInboxIds) s.run(at, id);
    }
    return result;
  });
}

/** `?` bound to a JSON array: one prepared statement for any number of keys (Postgres twin: `= ANY($1)`). */
const list = (keys: readonly string[]) => JSON.stringify(keys);
const IN = 'IN (SELECT value FROM json_each(?))';

export function rawEventsForTasks(db: SqliteDb, connectorId: string, taskSids: string[]): RawEvent[] {
  if (!taskSids.length) return [];
  const rows = db.read(() => db.stmt(`SELECT * FROM raw_events WHERE connector_id = ? AND task_sid ${IN} ORDER BY occurred_ms, id`).all(connectorId, list(taskSids)));
  return (rows as RawEventCols[]).map(toRawEvent);
}

export function rawEventsForWorkers(db: SqliteDb, connectorId: string, workerSids: string[], sinceMs?: number): RawEvent[] {
  if (!workerSids.length) return [];
  const rows = db.read(() =>
    db.stmt(`SELECT * FROM raw_events WHERE connector_id = ? AND worker_sid ${IN} AND occurred_ms >= ? ORDER BY occurred_ms, id`).all(
      connectorId, list(workerSids), sinceMs ?? Number.MIN_SAFE_INTEGER));
  return (rows as RawEventCols[]).map(toRawEvent);
}

export function interactionsBy(db: SqliteDb, column: 'task_sid' | 'customer_key', connectorId: string, keys: string[]): InteractionRow[] {
  if (!keys.length) return [];
  const rows = db.read(() => db.stmt(`SELECT * FROM interactions WHERE connector_id = ? AND ${column} ${IN} ORDER BY created_ms, task_sid`).all(connectorId, list(keys)));
  return (rows as InteractionCols[]).map(toInteraction);
}

export function surveysBy(db: SqliteDb, column: 'linked_task_sid' | 'customer_key', connectorId: string, keys: string[]): SurveyRow[] {
  if (!keys.length) return [];
  const rows = db.read(() => db.stmt(`SELECT * FROM surveys WHERE connector_id = ? AND ${column} ${IN} ORDER BY completed_ms, survey_task_sid`).all(connectorId, list(keys)));
  return (rows as SurveyCols[]).map(toSurvey);
}

export function getCustomers(db: SqliteDb, connectorId: string, keys: string[]): CustomerRow[] {
  if (!keys.length) return [];
  const rows = db.read(() => db.stmt(`SELECT * FROM customers WHERE connector_id = ? AND key ${IN} ORDER BY key`).all(connectorId, list(keys)));
  return (rows as CustomerCols[]).map(toCustomer);
}

/** Pages by task sid; `sinceMs`/`untilMs` bound `created_ms` (inclusive / exclusive). */
export function listInteractions(db: SqliteDb, connectorId: string, opts: { sinceMs?: number; untilMs?: number; afterTaskSid?: string; limit: number }): InteractionRow[] {
  const rows = db.read(() =>
    db.stmt(`SELECT * FROM interactions WHERE connector_id = ? AND task_sid > ?
      AND (? IS NULL OR created_ms >= ?) AND (? IS NULL OR created_ms < ?) ORDER BY task_sid LIMIT ?`).all(
      connectorId, opts.afterTaskSid ?? '', opts.sinceMs ?? null, opts.sinceMs ?? null, opts.untilMs ?? null, opts.untilMs ?? null, opts.limit));
  return (rows as InteractionCols[]).map(toInteraction);
}

export function counts(db: SqliteDb, connectorId: string): { interactions: number; customers: number; workers: number; surveys: number; rawEvents: number } {
  return db.read(() => {
    const n = (sql: string) => (db.stmt(sql).get(connectorId) as { n: number }).n;
    return {
      interactions: n('SELECT count(*) AS n FROM interactions WHERE connector_id = ?'),
      customers: n('SELECT count(*) AS n FROM customers WHERE connector_id = ?'),
      workers: n('SELECT count(DISTINCT worker_sid) AS n FROM raw_events WHERE connector_id = ? AND worker_sid IS NOT NULL'),
      surveys: n('SELECT count(*) AS n FROM surveys WHERE connector_id = ?'),
      rawEvents: n('SELECT count(*) AS n FROM raw_events WHERE connector_id = ?'),
    };
  });
}

export function findCustomerKeys(db: SqliteDb, connectorId: string, q: CustomerIdentityQuery): string[] {
  const keys = list(identityKeys(q));
  return db.read(() => {
    const rows = db.stmt(`SELECT key FROM customers WHERE connector_id = ? AND (key ${IN} OR phone = ? OR whatsapp = ? OR email = ? OR chat_identity = ?)
      UNION SELECT customer_key FROM interactions WHERE connector_id = ? AND customer_key ${IN}
      UNION SELECT customer_key FROM surveys WHERE connector_id = ? AND customer_key ${IN}
      ORDER BY 1`).all(connectorId, keys, q.phone ?? null, q.phone ?? null, q.email ?? null, q.chatIdentity ?? null, connectorId, keys, connectorId, keys) as { key: string }[];
    return rows.map((r) => r.key);
  });
}

export function customerKeysByEmail(db: SqliteDb, connectorId: string, emails: string[]): Map<string, string[]> {
  if (!emails.length) return new Map();
  const rows = db.read(() => db.stmt(`SELECT email, key FROM customers WHERE connector_id = ? AND email ${IN} ORDER BY email, key`).all(connectorId, list(emails))) as { email: string; key: string }[];
  return byEmail(rows);
}

/**
 * Erases a person: their interactions and surveys, the raw events of those tasks (they carry the attributes),
 * the customer row, queued writes about them, the ledger entry of their contact (its key holds the ext_id), every
 * dead letter about them (`letterNamesPerson`; a task that failed mapping is theirs when its attributes name them) and
 * the inbox rows holding only their webhooks. A batch inbox row that also holds others' events, or one being processed,
 * stays (`inboxKept`) until `tajo prune`. The inbox, which may be large, is looked through before the write
 * transaction (it blocks webhook writes), which only deletes the rows found; a row stored in between that names them
 * is dropped by the processor (their tasks are forgotten) and pruned later.
 */
export function forgetCustomer(db: SqliteDb, connectorId: string, key: string, nowMs: number): ForgetCounts {
  const candidates = db.read(() => {
    const { traces } = personTraces(db, connectorId, key);
    return (db.stmt(`SELECT id, status, item_keys IS NOT NULL AS batch, payload FROM inbox
      WHERE EXISTS (SELECT 1 FROM json_each(?) n WHERE instr(lower(payload), n.value) > 0)`).all(JSON.stringify(traceNeedles(traces))) as
      { id: number; status: string; batch: number; payload: string }[]).filter((r) => namesPerson(r.payload, traces)).map((r) => ({ id: r.id, batch: r.batch }));
  });
  return db.tx(() => {
    const { traces, letters } = personTraces(db, connectorId, key);
    const deadLetters = letters.length ? db.stmt('DELETE FROM dead_letters WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(letters)).changes : 0;
    const allTasks = [...traces.tasks];
    if (allTasks.length) {
      db.stmt(`DELETE FROM raw_events WHERE connector_id = ? AND task_sid ${IN}`).run(connectorId, list(allTasks));
      db.stmt(`INSERT INTO forgotten_tasks (connector_id, task_sid, forgotten_at) SELECT ?, value, ? FROM json_each(?) WHERE true
        ON CONFLICT (connector_id, task_sid) DO NOTHING`).run(connectorId, iso(nowMs), list(allTasks));
    }
    const interactions = db.stmt('DELETE FROM interactions WHERE connector_id = ? AND customer_key = ?').run(connectorId, key).changes;
    const surveys = db.stmt('DELETE FROM surveys WHERE connector_id = ? AND customer_key = ?').run(connectorId, key).changes;
    db.stmt('DELETE FROM customers WHERE connector_id = ? AND key = ?').run(connectorId, key);
    const mine = `(customer_key = ? OR (key = ? AND kind = 'contact'))`;
    const inflight = db.stmt(`SELECT max(claimed_until_ms) AS until FROM outbox WHERE ${mine} AND status = 'inflight' AND claimed_until_ms > ?`).get(key, `contact:${key}`, nowMs) as { until: number | null };
    // Brevo events of their tasks that carry no customer key (tajo_id `<event>:<task SID>`) go too
    const outbox = db.stmt(`DELETE FROM outbox WHERE ${mine}`).run(key, `contact:${key}`).changes
      + db.stmt(`DELETE FROM outbox WHERE kind = 'event' AND customer_key IS NULL AND EXISTS (SELECT 1 FROM json_each(?) t WHERE outbox.key LIKE '%:' || t.value)`)
        .run(JSON.stringify(allTasks)).changes;
    db.stmt('DELETE FROM ledger WHERE key = ?').run(`contact:${key}`);
    // inbox rows hold no connector id; single rows found above, unless claimed meanwhile
    const single = candidates.filter((r) => !r.batch).map((r) => r.id);
    const inbox = single.length ? db.stmt(`DELETE FROM inbox WHERE id IN (SELECT value FROM json_each(?)) AND item_keys IS NULL AND status <> 'inflight'`).run(JSON.stringify(single)).changes : 0;
    return { interactions, surveys, outbox, inflightUntilMs: inflight.until, deadLetters, inbox, inboxKept: candidates.length - inbox };
  });
}

/**
 * What names the person (`PersonTraces`: their tasks, identities) and the ids of the dead letters about them: their
 * outbox rows', and those `letterNamesPerson` finds; an unmapped task's dead letter adds the task to theirs.
 */
function personTraces(db: SqliteDb, connectorId: string, key: string): { traces: { tasks: Set<string>; identities: Set<string> }; letters: number[] } {
  const tasks = (db.stmt(`SELECT task_sid AS sid FROM interactions WHERE connector_id = ? AND customer_key = ?
    UNION SELECT survey_task_sid FROM surveys WHERE connector_id = ? AND customer_key = ?`).all(connectorId, key, connectorId, key) as { sid: string }[]).map((r) => r.sid);
  const row = db.stmt('SELECT email, phone, whatsapp, chat_identity FROM customers WHERE connector_id = ? AND key = ?').get(connectorId, key) as
    | { email: string | null; phone: string | null; whatsapp: string | null; chat_identity: string | null }
    | undefined;
  const outboxIds = (db.stmt(`SELECT id FROM outbox WHERE customer_key = ? OR (key = ? AND kind = 'contact')`).all(key, `contact:${key}`) as { id: number }[]).map((r) => r.id);
  const traces = { tasks: new Set(tasks), identities: new Set(personIdentities(key, row)) };
  const candidates = db.stmt(`SELECT id, source, record_key, payload, outbox_id FROM dead_letters WHERE (connector_id = ? OR connector_id IS NULL)
    AND (outbox_id IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM json_each(?) n WHERE instr(lower(record_key || ' ' || payload), n.value) > 0))`)
    .all(connectorId, JSON.stringify(outboxIds), JSON.stringify(traceNeedles(traces))) as { id: number; source: string; record_key: string; payload: string; outbox_id: number | null }[];
  const outboxSet = new Set(outboxIds);
  const letters = candidates.filter((d) => (d.outbox_id !== null && outboxSet.has(d.outbox_id)) || letterNamesPerson(d.record_key, d.payload, traces));
  for (const d of letters) if (d.source === 'twilio' && /^WT[0-9A-Za-z]+$/.test(d.record_key)) traces.tasks.add(d.record_key);
  return { traces, letters: letters.map((d) => d.id) };
}

export function forgottenTasks(db: SqliteDb, connectorId: string, taskSids: string[]): string[] {
  return db.read(() => forgottenTasksIn(db, connectorId, taskSids));
}

function forgottenTasksIn(db: SqliteDb, connectorId: string, taskSids: readonly string[]): string[] {
  if (!taskSids.length) return [];
  return (db.stmt(`SELECT task_sid AS sid FROM forgotten_tasks WHERE connector_id = ? AND task_sid ${IN}`).all(connectorId, list(taskSids)) as { sid: string }[]).map((r) => r.sid);
}
