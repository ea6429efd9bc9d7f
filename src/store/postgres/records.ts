/** The commit write path and engine reads, Postgres dialect (twin of ../sqlite/records.ts; bulk writes via unnest). */
import { TajoError } from '../../core/errors.js';
import { lastByKey, normaliseOutbox, RAW_EVENT_UPGRADE, rawEventCopies } from '../batch.js';
import { CustomerConflictError, versionConflicts } from '../customerVersion.js';
import {
  byEmail, identityKeys, iso, toCustomer, toInteraction, toRawEvent, toSurvey, type CustomerCols, type InteractionCols, type RawEventCols, type SurveyCols,
} from '../rows.js';
import { letterNamesPerson, namesPerson, personIdentities, refuseForgotten, taskSidsOf, traceNeedles } from '../forgotten.js';
import { staleInteractionSql } from '../interactionStaleness.js';
import type { CheckpointWrite, CommitBatch, CommitResult, CustomerIdentityQuery, CustomerRow, ForgetCounts, InteractionRow, RawEvent, SurveyRow } from '../types.js';
import type { PgDb, Queryable } from './db.js';
import { jsonb } from './jsonb.js';
import { enqueue, putDeadLetter } from './outbox.js';

async function writeCheckpoint(db: PgDb, c: Queryable, connectorId: string, cp: CheckpointWrite, at: string): Promise<number> {
  const [row] =
    cp.expectedVersion === 0
      ? await db.query<{ version: number }>(`INSERT INTO checkpoints (connector_id, stream, partition, value, version, updated_at) VALUES ($1, $2, $3, $4::jsonb, 1, $5)
          ON CONFLICT (connector_id, stream, partition) DO NOTHING RETURNING version`, [connectorId, cp.stream, cp.partition, jsonb(cp.value), at], c)
      : await db.query<{ version: number }>(`UPDATE checkpoints SET value = $1::jsonb, version = version + 1, updated_at = $2
          WHERE connector_id = $3 AND stream = $4 AND partition = $5 AND version = $6 RETURNING version`,
        [jsonb(cp.value), at, connectorId, cp.stream, cp.partition, cp.expectedVersion], c);
  if (!row) {
    throw new TajoError('TAJO_CHECKPOINT_CONFLICT', `Checkpoint ${cp.stream}/${cp.partition} was updated by another process (expected version ${cp.expectedVersion})`);
  }
  return row.version;
}

/** `$n::type[]` list for an unnest of `types.length` arrays starting at `$start`. */
const arrays = (start: number, types: string[]) => types.map((t, i) => `$${start + i}::${t}[]`).join(', ');

const INSERT_RAW = `INSERT INTO raw_events (connector_id, key, type, occurred_ms, task_sid, worker_sid, conversation_sid, via, data, received_at)
SELECT $1, t.key, t.type, t.occurred_ms, t.task_sid, t.worker_sid, t.conversation_sid, t.via, t.data::jsonb, $2
FROM unnest(${arrays(3, ['text', 'text', 'bigint', 'text', 'text', 'text', 'text', 'text'])}) WITH ORDINALITY
  AS t(key, type, occurred_ms, task_sid, worker_sid, conversation_sid, via, data, ord)
ORDER BY t.ord
ON CONFLICT (connector_id, key) ${RAW_EVENT_UPGRADE}`;

const UPSERT_INTERACTIONS = `INSERT INTO interactions (connector_id, task_sid, customer_key, channel, queue_sid, queue_name, worker_sid, worker_name,
  created_ms, answered_ms, wrapup_ms, ended_ms, outcome, conversation_sid, conversation_closed_ms, wait_seconds, handle_seconds, attributes, updated_at,
  cancel_reason)
SELECT $1, t.task_sid, t.customer_key, t.channel, t.queue_sid, t.queue_name, t.worker_sid, t.worker_name, t.created_ms, t.answered_ms, t.wrapup_ms,
  t.ended_ms, t.outcome, t.conversation_sid, t.conversation_closed_ms, t.wait_seconds, t.handle_seconds, t.attributes::jsonb, t.updated_at, t.cancel_reason
FROM unnest(${arrays(2, ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'text', 'bigint', 'float8', 'float8', 'text', 'text', 'text'])})
  AS t(task_sid, customer_key, channel, queue_sid, queue_name, worker_sid, worker_name, created_ms, answered_ms, wrapup_ms, ended_ms, outcome,
       conversation_sid, conversation_closed_ms, wait_seconds, handle_seconds, attributes, updated_at, cancel_reason)
ON CONFLICT (connector_id, task_sid) DO UPDATE SET customer_key = EXCLUDED.customer_key, channel = EXCLUDED.channel,
  queue_sid = EXCLUDED.queue_sid, queue_name = EXCLUDED.queue_name, worker_sid = EXCLUDED.worker_sid, worker_name = EXCLUDED.worker_name,
  created_ms = EXCLUDED.created_ms, answered_ms = EXCLUDED.answered_ms, wrapup_ms = EXCLUDED.wrapup_ms, ended_ms = EXCLUDED.ended_ms,
  outcome = EXCLUDED.outcome, conversation_sid = EXCLUDED.conversation_sid, conversation_closed_ms = EXCLUDED.conversation_closed_ms,
  wait_seconds = EXCLUDED.wait_seconds, handle_seconds = EXCLUDED.handle_seconds, attributes = EXCLUDED.attributes, updated_at = EXCLUDED.updated_at,
  cancel_reason = EXCLUDED.cancel_reason
WHERE NOT (${staleInteractionSql('interactions', 'EXCLUDED')})`;

const UPSERT_SURVEYS = `INSERT INTO surveys (connector_id, survey_task_sid, linked_task_sid, customer_key, score, scale, questions, completed_ms, updated_at)
SELECT $1, t.survey_task_sid, t.linked_task_sid, t.customer_key, t.score, t.scale, t.questions::jsonb, t.completed_ms, $2
FROM unnest(${arrays(3, ['text', 'text', 'text', 'float8', 'float8', 'text', 'bigint'])}) AS t(survey_task_sid, linked_task_sid, customer_key, score, scale, questions, completed_ms)
ON CONFLICT (connector_id, survey_task_sid) DO UPDATE SET linked_task_sid = EXCLUDED.linked_task_sid, customer_key = EXCLUDED.customer_key,
  score = EXCLUDED.score, scale = EXCLUDED.scale, questions = EXCLUDED.questions, completed_ms = EXCLUDED.completed_ms, updated_at = EXCLUDED.updated_at`;

/**
 * Opt-outs are sticky (docs/SEMANTICS.md §6). Optimistic version (../customerVersion.ts): the update applies only where
 * the stored version is the one the row was derived from (`t.expected`); under READ COMMITTED a concurrent insert of the
 * same key waits for the other transaction and is then checked against its committed row.
 */
const UPSERT_CUSTOMERS = `WITH t AS (
  SELECT * FROM unnest(${arrays(2, ['text', 'text', 'text', 'text', 'text', 'boolean', 'boolean', 'text', 'text', 'integer'])})
    AS t(key, email, phone, whatsapp, chat_identity, sms_blacklisted, whatsapp_blacklisted, pushed_hash, updated_at, expected))
INSERT INTO customers (connector_id, key, email, phone, whatsapp, chat_identity, sms_blacklisted, whatsapp_blacklisted, pushed_hash, updated_at, version)
SELECT $1, t.key, t.email, t.phone, t.whatsapp, t.chat_identity, t.sms_blacklisted, t.whatsapp_blacklisted, t.pushed_hash, t.updated_at, 1 FROM t
ON CONFLICT (connector_id, key) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone, whatsapp = EXCLUDED.whatsapp,
  chat_identity = EXCLUDED.chat_identity, sms_blacklisted = customers.sms_blacklisted OR EXCLUDED.sms_blacklisted,
  whatsapp_blacklisted = customers.whatsapp_blacklisted OR EXCLUDED.whatsapp_blacklisted, pushed_hash = EXCLUDED.pushed_hash,
  updated_at = EXCLUDED.updated_at, version = customers.version + 1
WHERE customers.version = (SELECT t.expected FROM t WHERE t.key = EXCLUDED.key)
RETURNING key, version`;

/** Columns of `rows`, one array per getter (the unnest parameters). */
const columns = <T>(rows: T[], getters: ((r: T) => unknown)[]) => getters.map((g) => rows.map(g));

export async function commit(db: PgDb, connectorId: string, batch: CommitBatch, nowMs: number): Promise<CommitResult> {
  const at = iso(nowMs);
  return db.tx(async (c) => {
    const result: CommitResult = { outboxInserted: 0, rawEventsInserted: 0 };
    // a person forgotten while this batch was planned: refused for them (re-derived without their tasks). Under read
    // committed a forget committing after this read is caught by the customer version check (its row was deleted).
    batch = refuseForgotten(batch, await forgottenTasksIn(db, connectorId, taskSidsOf(batch), c));
    if (batch.checkpoint) result.checkpointVersion = await writeCheckpoint(db, c, connectorId, batch.checkpoint, at);
    if (batch.rawEvents?.length) {
      result.rawEventsInserted = await db.count(INSERT_RAW, [connectorId, at, ...columns(rawEventCopies(batch.rawEvents), [
        (e) => e.key, (e) => e.type, (e) => e.occurredMs, (e) => e.taskSid ?? null, (e) => e.workerSid ?? null, (e) => e.conversationSid ?? null,
        (e) => e.via, (e) => jsonb(e.data)])], c);
    }
    if (batch.interactions?.length) {
      await db.query(UPSERT_INTERACTIONS, [connectorId, ...columns(lastByKey(batch.interactions, (i) => i.taskSid), [
        (i) => i.taskSid, (i) => i.customerKey, (i) => i.channel, (i) => i.queueSid, (i) => i.queueName, (i) => i.workerSid, (i) => i.workerName,
        (i) => i.createdMs, (i) => i.answeredMs, (i) => i.wrapupMs, (i) => i.endedMs, (i) => i.outcome, (i) => i.conversationSid,
        (i) => i.conversationClosedMs, (i) => i.waitSeconds, (i) => i.handleSeconds, (i) => jsonb(i.attributes), (i) => i.updatedAt,
        (i) => i.cancelReason ?? null])], c);
    }
    if (batch.surveys?.length) {
      await db.query(UPSERT_SURVEYS, [connectorId, at, ...columns(lastByKey(batch.surveys, (s) => s.surveyTaskSid), [
        (s) => s.surveyTaskSid, (s) => s.linkedTaskSid, (s) => s.customerKey, (s) => s.score, (s) => s.scale, (s) => jsonb(s.questions), (s) => s.completedMs])], c);
    }
    if (batch.customers?.length) {
      const rows = lastByKey(batch.customers, (r) => r.key);
      const written = await db.query<{ key: string; version: number }>(UPSERT_CUSTOMERS, [connectorId, ...columns(rows, [
        (r) => r.key, (r) => r.email, (r) => r.phone, (r) => r.whatsapp, (r) => r.chatIdentity, (r) => r.smsBlacklisted, (r) => r.whatsappBlacklisted,
        (r) => r.pushedHash, (r) => r.updatedAt, (r) => r.version])], c);
      // thrown inside the transaction: nothing of the batch is written
      const conflicts = versionConflicts(rows, new Map(written.map((w) => [w.key, w.version])));
      if (conflicts.length) throw new CustomerConflictError(conflicts);
    }
    if (batch.outbox?.length) result.outboxInserted = await enqueue(db, c, connectorId, normaliseOutbox(batch.outbox), nowMs);
    for (const letter of batch.deadLetters ?? []) await putDeadLetter(db, c, connectorId, letter, nowMs);
    if (batch.processedInboxIds?.length) {
      await db.query(`UPDATE inbox SET status = 'processed', claimed_by = NULL, claimed_until_ms = NULL, processed_at = $1 WHERE id = ANY($2::bigint[])`,
        [at, batch.processedInboxIds], c);
    }
    return result;
  });
}

export async function rawEventsForTasks(db: PgDb, connectorId: string, taskSids: string[]): Promise<RawEvent[]> {
  if (!taskSids.length) return [];
  return (await db.query<RawEventCols>('SELECT * FROM raw_events WHERE connector_id = $1 AND task_sid = ANY($2::text[]) ORDER BY occurred_ms, id', [connectorId, taskSids])).map(toRawEvent);
}

export async function rawEventsForWorkers(db: PgDb, connectorId: string, workerSids: string[], sinceMs?: number): Promise<RawEvent[]> {
  if (!workerSids.length) return [];
  return (await db.query<RawEventCols>('SELECT * FROM raw_events WHERE connector_id = $1 AND worker_sid = ANY($2::text[]) AND occurred_ms >= $3 ORDER BY occurred_ms, id',
    [connectorId, workerSids, sinceMs ?? Number.MIN_SAFE_INTEGER])).map(toRawEvent);
}

export async function interactionsBy(db: PgDb, column: 'task_sid' | 'customer_key', connectorId: string, keys: string[]): Promise<InteractionRow[]> {
  if (!keys.length) return [];
  return (await db.query<InteractionCols>(`SELECT * FROM interactions WHERE connector_id = $1 AND ${column} = ANY($2::text[]) ORDER BY created_ms, task_sid COLLATE "C"`,
    [connectorId, keys])).map(toInteraction);
}

export async function surveysBy(db: PgDb, column: 'linked_task_sid' | 'customer_key', connectorId: string, keys: string[]): Promise<SurveyRow[]> {
  if (!keys.length) return [];
  return (await db.query<SurveyCols>(`SELECT * FROM surveys WHERE connector_id = $1 AND ${column} = ANY($2::text[]) ORDER BY completed_ms, survey_task_sid COLLATE "C"`,
    [connectorId, keys])).map(toSurvey);
}

export async function getCustomers(db: PgDb, connectorId: string, keys: string[]): Promise<CustomerRow[]> {
  if (!keys.length) return [];
  return (await db.query<CustomerCols>('SELECT * FROM customers WHERE connector_id = $1 AND key = ANY($2::text[]) ORDER BY key COLLATE "C"', [connectorId, keys])).map(toCustomer);
}

export async function listInteractions(db: PgDb, connectorId: string, opts: { sinceMs?: number; untilMs?: number; afterTaskSid?: string; limit: number }): Promise<InteractionRow[]> {
  return (await db.query<InteractionCols>(`SELECT * FROM interactions WHERE connector_id = $1 AND task_sid COLLATE "C" > $2
      AND ($3::bigint IS NULL OR created_ms >= $3) AND ($4::bigint IS NULL OR created_ms < $4) ORDER BY task_sid COLLATE "C" LIMIT $5`,
    [connectorId, opts.afterTaskSid ?? '', opts.sinceMs ?? null, opts.untilMs ?? null, opts.limit])).map(toInteraction);
}

export async function counts(db: PgDb, connectorId: string): Promise<{ interactions: number; customers: number; workers: number; surveys: number; rawEvents: number }> {
  const [r] = await db.query<{ interactions: number; customers: number; workers: number; surveys: number; raw_events: number }>(`SELECT
      (SELECT count(*) FROM interactions WHERE connector_id = $1) AS interactions,
      (SELECT count(*) FROM customers WHERE connector_id = $1) AS customers,
      (SELECT count(DISTINCT worker_sid) FROM raw_events WHERE connector_id = $1 AND worker_sid IS NOT NULL) AS workers,
      (SELECT count(*) FROM surveys WHERE connector_id = $1) AS surveys,
      (SELECT count(*) FROM raw_events WHERE connector_id = $1) AS raw_events`, [connectorId]);
  return { interactions: r!.interactions, customers: r!.customers, workers: r!.workers, surveys: r!.surveys, rawEvents: r!.raw_events };
}

/** Same lookup as the SQLite twin (see ../sqlite/records.ts). */
export async function findCustomerKeys(db: PgDb, connectorId: string, q: CustomerIdentityQuery): Promise<string[]> {
  const keys = identityKeys(q);
  const rows = await db.query<{ key: string }>(`SELECT key FROM customers WHERE connector_id = $1
      AND (key = ANY($2::text[]) OR phone = $3 OR whatsapp = $3 OR email = $4 OR chat_identity = $5)
    UNION SELECT customer_key FROM interactions WHERE connector_id = $1 AND customer_key = ANY($2::text[])
    UNION SELECT customer_key FROM surveys WHERE connector_id = $1 AND customer_key = ANY($2::text[])
    ORDER BY 1`, [connectorId, keys, q.phone ?? null, q.email ?? null, q.chatIdentity ?? null]);
  return rows.map((r) => r.key);
}

export async function customerKeysByEmail(db: PgDb, connectorId: string, emails: string[]): Promise<Map<string, string[]>> {
  if (!emails.length) return new Map();
  return byEmail(await db.query<{ email: string; key: string }>('SELECT email, key FROM customers WHERE connector_id = $1 AND email = ANY($2::text[]) ORDER BY email, key', [connectorId, emails]));
}

/** Same erasure as the SQLite twin (see ../sqlite/records.ts). */
export async function forgetCustomer(db: PgDb, connectorId: string, key: string, nowMs: number): Promise<ForgetCounts> {
  return db.tx(async (c) => {
    const tasks = (await db.query<{ sid: string }>(`SELECT task_sid AS sid FROM interactions WHERE connector_id = $1 AND customer_key = $2
      UNION SELECT survey_task_sid FROM surveys WHERE connector_id = $1 AND customer_key = $2`, [connectorId, key], c)).map((r) => r.sid);
    const [row] = await db.query<{ email: string | null; phone: string | null; whatsapp: string | null; chat_identity: string | null }>(
      'SELECT email, phone, whatsapp, chat_identity FROM customers WHERE connector_id = $1 AND key = $2', [connectorId, key], c);
    const mine = `(customer_key = $1 OR (key = $2 AND kind = 'contact'))`;
    const outboxIds = (await db.query<{ id: string | number }>(`SELECT id FROM outbox WHERE ${mine}`, [key, `contact:${key}`], c)).map((r) => Number(r.id));
    const traces = { tasks: new Set(tasks), identities: new Set(personIdentities(key, row)) };
    // dead letters first: a task that failed mapping and names them joins their tasks (raw events, forgotten_tasks)
    const letters = await db.query<{ id: string | number; source: string; record_key: string; payload: string; outbox_id: string | number | null }>(
      `SELECT id, source, record_key, payload::text AS payload, outbox_id FROM dead_letters WHERE (connector_id = $1 OR connector_id IS NULL)
        AND (outbox_id = ANY($2::bigint[]) OR EXISTS (SELECT 1 FROM unnest($3::text[]) n WHERE strpos(lower(record_key || ' ' || payload::text), n) > 0))`,
      [connectorId, outboxIds, traceNeedles(traces)], c);
    const outboxSet = new Set(outboxIds);
    const gone = letters.filter((d) => (d.outbox_id !== null && outboxSet.has(Number(d.outbox_id))) || letterNamesPerson(d.record_key, d.payload, traces));
    for (const d of gone) if (d.source === 'twilio' && /^WT[0-9A-Za-z]+$/.test(d.record_key)) traces.tasks.add(d.record_key);
    const deadLetters = gone.length ? await db.count('DELETE FROM dead_letters WHERE id = ANY($1::bigint[])', [gone.map((d) => Number(d.id))], c) : 0;
    const allTasks = [...traces.tasks];
    if (allTasks.length) {
      await db.query('DELETE FROM raw_events WHERE connector_id = $1 AND task_sid = ANY($2::text[])', [connectorId, allTasks], c);
      await db.query(`INSERT INTO forgotten_tasks (connector_id, task_sid, forgotten_at) SELECT $1, unnest($2::text[]), $3
        ON CONFLICT (connector_id, task_sid) DO NOTHING`, [connectorId, allTasks, iso(nowMs)], c);
    }
    const interactions = await db.count('DELETE FROM interactions WHERE connector_id = $1 AND customer_key = $2', [connectorId, key], c);
    const surveys = await db.count('DELETE FROM surveys WHERE connector_id = $1 AND customer_key = $2', [connectorId, key], c);
    await db.query('DELETE FROM customers WHERE connector_id = $1 AND key = $2', [connectorId, key], c);
    const [inflight] = await db.query<{ until: string | null }>(
      `SELECT max(claimed_until_ms) AS until FROM outbox WHERE ${mine} AND status = 'inflight' AND claimed_until_ms > $3`, [key, `contact:${key}`, nowMs], c);
    // Brevo events of their tasks that carry no customer key (tajo_id `<event>:<task SID>`) go too
    const outbox = await db.count(`DELETE FROM outbox WHERE ${mine}`, [key, `contact:${key}`], c)
      + await db.count(`DELETE FROM outbox o WHERE o.kind = 'event' AND o.customer_key IS NULL AND EXISTS (SELECT 1 FROM unnest($1::text[]) t WHERE o.key LIKE '%:' || t)`, [allTasks], c);
    await db.query('DELETE FROM ledger WHERE key = $1', [`contact:${key}`], c);
    // inbox rows hold no connector id; a payload naming their task SIDs or identities is theirs
    const rows = (await db.query<{ id: string | number; status: string; batch: boolean; payload: string }>(
      `SELECT id, status, item_keys IS NOT NULL AS batch, payload::text AS payload FROM inbox
        WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE strpos(lower(payload::text), n) > 0)`, [traceNeedles(traces)], c))
      .filter((r) => namesPerson(r.payload, traces));
    const erasable = rows.filter((r) => !r.batch && r.status !== 'inflight').map((r) => Number(r.id));
    const inbox = erasable.length ? await db.count('DELETE FROM inbox WHERE id = ANY($1::bigint[])', [erasable], c) : 0;
    return { interactions, surveys, outbox, inflightUntilMs: inflight?.until == null ? null : Number(inflight.until), deadLetters, inbox, inboxKept: rows.length - erasable.length };
  });
}

export async function forgottenTasks(db: PgDb, connectorId: string, taskSids: string[]): Promise<string[]> {
  return forgottenTasksIn(db, connectorId, taskSids);
}

async function forgottenTasksIn(db: PgDb, connectorId: string, taskSids: readonly string[], c?: Queryable): Promise<string[]> {
  if (!taskSids.length) return [];
  return (await db.query<{ sid: string }>('SELECT task_sid AS sid FROM forgotten_tasks WHERE connector_id = $1 AND task_sid = ANY($2::text[])', [connectorId, taskSids], c)).map((r) => r.sid);
}
