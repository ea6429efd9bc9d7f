/** Outbox, ledger and dead-letter SQL (one small function per statement group, graphile-worker style). */
import type { DeadLetterInput, OutboxInput, OutboxItem, OutboxKind, OutboxStats } from '../types.js';
import { deadLetterTaskSids, forgottenReplayError } from '../forgotten.js';
import type { SqliteDb } from './db.js';
import { iso, json, toOutbox, type OutboxCols } from '../rows.js';

const OUTBOX_KINDS: readonly OutboxKind[] = ['contact', 'event', 'list_add', 'list_remove'];

/** An event is never enqueued twice: not while in the outbox (any status), not once in the ledger. */
const INSERT_EVENT = `
INSERT INTO outbox (connector_id, kind, key, customer_key, payload, content_hash, priority, status, attempts, next_attempt_ms, created_ms, created_at, updated_at)
SELECT ?, 'event', ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?
WHERE NOT EXISTS (SELECT 1 FROM ledger WHERE key = ?)
ON CONFLICT (key) WHERE kind = 'event' DO NOTHING`;

/** Contact / list writes coalesce: a newer write replaces the payload of the pending row with the same key. */
const UPSERT_STATE = `
INSERT INTO outbox (connector_id, kind, key, customer_key, payload, content_hash, priority, status, attempts, next_attempt_ms, created_ms, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
ON CONFLICT (key) WHERE status = 'pending' AND kind <> 'event' DO UPDATE SET
  kind = excluded.kind, payload = excluded.payload, content_hash = excluded.content_hash,
  customer_key = coalesce(excluded.customer_key, outbox.customer_key),
  priority = min(outbox.priority, excluded.priority), updated_at = excluded.updated_at`;

/**
 * Returns 1 when the row was inserted or coalesced, 0 when deduped away. New rows are due at once
 * (`next_attempt_ms = 0`), so claiming does not depend on the store's clock agreeing with the caller's `nowMs`.
 */
export function enqueue(db: SqliteDb, connectorId: string, item: OutboxInput, nowMs: number): number {
  const at = iso(nowMs);
  const hash = item.contentHash ?? null;
  const customer = item.customerKey ?? null;
  if (item.kind === 'event') {
    return db.stmt(INSERT_EVENT).run(connectorId, item.key, customer, json(item.payload), hash, item.priority, 0, nowMs, at, at, item.key).changes;
  }
  return db.stmt(UPSERT_STATE).run(connectorId, item.kind, item.key, customer, json(item.payload), hash, item.priority, 0, nowMs, at, at).changes;
}

/**
 * Claims due rows for one worker. Expired leases are reclaimed first (a crashed worker's rows become pending
 * again; an expired contact write that a newer pending write supersedes is dropped). A pending contact/list row
 * is not claimed while an older row with the same key is in flight, so writes for one key reach Brevo in order.
 * An event is not claimed while its customer's contact is queued (pending or in flight) and was never delivered: an
 * event for a contact Brevo does not have yet would create a bare contact. Updates of a delivered contact hold nothing.
 */
export function claimOutbox(db: SqliteDb, opts: { workerId: string; kinds?: OutboxKind[]; limit: number; leaseMs: number; nowMs: number }): OutboxItem[] {
  const kinds = opts.kinds?.length ? [...new Set(opts.kinds)].sort() : [...OUTBOX_KINDS];
  const at = iso(opts.nowMs);
  const rows = db.tx(() => {
    db.stmt(`DELETE FROM outbox WHERE status = 'inflight' AND claimed_until_ms <= ? AND kind <> 'event'
      AND EXISTS (SELECT 1 FROM outbox p WHERE p.key = outbox.key AND p.status = 'pending' AND p.kind <> 'event')`).run(opts.nowMs);
    db.stmt(`UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until_ms = NULL, updated_at = ?
      WHERE status = 'inflight' AND claimed_until_ms <= ?`).run(at, opts.nowMs);
    return db.stmt(`UPDATE outbox SET status = 'inflight', claimed_by = ?, claimed_until_ms = ?, attempts = attempts + 1, updated_at = ?
      WHERE id IN (
        SELECT o.id FROM outbox o
        WHERE o.status = 'pending' AND o.next_attempt_ms <= ? AND o.kind IN (SELECT value FROM json_each(?))
          AND (o.kind = 'event' OR NOT EXISTS (SELECT 1 FROM outbox i WHERE i.key = o.key AND i.status = 'inflight' AND i.kind <> 'event'))
          AND (o.kind <> 'event' OR o.customer_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox c WHERE c.key = 'contact:' || o.customer_key AND c.kind <> 'event' AND c.status IN ('pending', 'inflight')
              AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.key = c.key)))
        ORDER BY o.priority, o.next_attempt_ms, o.id
        LIMIT ?)
      RETURNING *`).all(opts.workerId, opts.nowMs + opts.leaseMs, at, opts.nowMs, JSON.stringify(kinds), opts.limit) as OutboxCols[];
  });
  return rows.sort((a, b) => a.priority - b.priority || a.next_attempt_ms - b.next_attempt_ms || a.id - b.id).map(toOutbox);
}

/**
 * Marks in-flight rows delivered and upserts the ledger, in one transaction. A row no longer in flight (its lease
 * expired and it went back to the queue, possibly with a newer coalesced payload) is left alone: it will be sent again.
 */
export function completeOutbox(db: SqliteDb, ids: number[], nowMs: number): void {
  const at = iso(nowMs);
  db.tx(() => {
    const done = db.stmt(`UPDATE outbox SET status = 'delivered', claimed_by = NULL, claimed_until_ms = NULL, delivered_at = ?, updated_at = ?
      WHERE id = ? AND status = 'inflight' RETURNING key, kind, content_hash`);
    const ledger = db.stmt(`INSERT INTO ledger (key, kind, content_hash, delivered_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, content_hash = excluded.content_hash, delivered_at = excluded.delivered_at`);
    for (const id of ids) {
      const row = done.get(at, at, id) as { key: string; kind: string; content_hash: string | null } | undefined;
      if (row) ledger.run(row.key, row.kind, row.content_hash, at);
    }
  });
}

/** Back to pending after a failed attempt. A row superseded by a newer pending write for its key is dropped instead. */
export function retryOutbox(db: SqliteDb, id: number, nextAttemptMs: number, error: string, nowMs: number): void {
  db.tx(() => {
    const superseded = db.stmt(`DELETE FROM outbox WHERE id = ? AND status = 'inflight' AND kind <> 'event'
      AND EXISTS (SELECT 1 FROM outbox p WHERE p.key = outbox.key AND p.status = 'pending' AND p.kind <> 'event')`).run(id).changes;
    if (superseded) return;
    db.stmt(`UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until_ms = NULL, next_attempt_ms = ?, last_error = ?, updated_at = ?
      WHERE id = ? AND status = 'inflight'`).run(nextAttemptMs, error, iso(nowMs), id);
  });
}

const UPSERT_DEAD_LETTER = `
INSERT INTO dead_letters (connector_id, source, reason, record_key, payload, error, outbox_id, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)
ON CONFLICT (source, reason, record_key) WHERE status = 'open' DO UPDATE SET
  payload = excluded.payload, error = excluded.error, outbox_id = coalesce(excluded.outbox_id, dead_letters.outbox_id),
  connector_id = coalesce(excluded.connector_id, dead_letters.connector_id), updated_at = excluded.updated_at`;

/** One open dead letter per (source, reason, recordKey): a repeat refreshes the open one. */
export function putDeadLetter(db: SqliteDb, connectorId: string | null, letter: DeadLetterInput, nowMs: number, outboxId: number | null = null): void {
  const at = iso(nowMs);
  db.stmt(UPSERT_DEAD_LETTER).run(connectorId, letter.source, letter.reason, letter.recordKey, json(letter.payload), letter.error ?? null, outboxId, at, at);
}

export function deadLetterOutbox(db: SqliteDb, id: number, letter: DeadLetterInput, nowMs: number): void {
  db.tx(() => {
    const row = db.stmt(`UPDATE outbox SET status = 'dead', claimed_by = NULL, claimed_until_ms = NULL, last_error = ?, updated_at = ?
      WHERE id = ? AND status = 'inflight' RETURNING connector_id`).get(letter.error ?? null, iso(nowMs), id) as { connector_id: string | null } | undefined;
    if (row) putDeadLetter(db, row.connector_id, letter, nowMs, id);
  });
}

/**
 * Replaying a dead letter that came from the outbox puts its row back in the queue (attempts reset), unless a
 * newer pending write for the same key already supersedes it. A dead letter naming a task `tajo forget` erased is
 * not replayed (TAJO_DEAD_LETTER_FORGOTTEN, nothing changed): it would bring the person's data back.
 */
export function setDeadLetterStatus(db: SqliteDb, id: number, status: 'replayed' | 'discarded', nowMs: number): void {
  const at = iso(nowMs);
  db.tx(() => {
    if (status === 'replayed') {
      const letter = db.stmt("SELECT connector_id, record_key, payload FROM dead_letters WHERE id = ? AND status = 'open'").get(id) as
        | { connector_id: string | null; record_key: string; payload: string }
        | undefined;
      const sids = letter ? deadLetterTaskSids(letter.record_key, letter.payload) : [];
      const forgotten = sids.length
        ? (db.stmt('SELECT DISTINCT task_sid AS sid FROM forgotten_tasks WHERE (? IS NULL OR connector_id = ?) AND task_sid IN (SELECT value FROM json_each(?)) ORDER BY 1')
          .all(letter?.connector_id ?? null, letter?.connector_id ?? null, JSON.stringify(sids)) as { sid: string }[]).map((r) => r.sid)
        : [];
      if (forgotten.length) throw forgottenReplayError(id, forgotten);
    }
    const row = db.stmt(`UPDATE dead_letters SET status = ?, updated_at = ? WHERE id = ? AND status = 'open' RETURNING outbox_id`).get(status, at, id) as
      | { outbox_id: number | null }
      | undefined;
    if (!row || row.outbox_id == null || status !== 'replayed') return;
    db.stmt(`UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = 0, last_error = NULL, updated_at = ?
      WHERE id = ? AND status = 'dead'
        AND NOT (kind <> 'event' AND EXISTS (SELECT 1 FROM outbox p WHERE p.key = outbox.key AND p.status = 'pending' AND p.kind <> 'event'))`).run(at, row.outbox_id);
  });
}

export function delivered(db: SqliteDb, keys: string[]): Map<string, string | null> {
  const rows = db.read(() => db.stmt('SELECT key, content_hash FROM ledger WHERE key IN (SELECT value FROM json_each(?))').all(JSON.stringify(keys))) as {
    key: string;
    content_hash: string | null;
  }[];
  return new Map(rows.map((r) => [r.key, r.content_hash]));
}

export function outboxStats(db: SqliteDb): OutboxStats {
  return db.read(() => {
    const stats: OutboxStats = { pending: 0, inflight: 0, delivered: 0, dead: 0, oldestPendingMs: null, byKind: { contact: 0, event: 0, list_add: 0, list_remove: 0 } };
    for (const r of db.stmt('SELECT status, count(*) AS n FROM outbox GROUP BY status').all() as { status: keyof OutboxStats; n: number }[]) {
      if (r.status === 'pending' || r.status === 'inflight' || r.status === 'delivered' || r.status === 'dead') stats[r.status] = r.n;
    }
    for (const r of db.stmt("SELECT kind, count(*) AS n FROM outbox WHERE status IN ('pending', 'inflight') GROUP BY kind").all() as { kind: OutboxKind; n: number }[]) {
      stats.byKind[r.kind] = r.n;
    }
    const oldest = db.stmt("SELECT min(created_ms) AS m FROM outbox WHERE status = 'pending'").get() as { m: number | null };
    stats.oldestPendingMs = oldest.m;
    return stats;
  });
}

/**
 * Delivered outbox rows and processed inbox rows older than `beforeMs` (ISO text compares in time order), with the
 * dedupe keys of the batch rows among them.
 */
export function pruneDelivered(db: SqliteDb, beforeMs: number): { outbox: number; inbox: number } {
  const before = iso(beforeMs);
  return db.tx(() => {
    // only the keys a pruned row owns: a row whose items were duplicates must not free the keys of the row that holds them
    db.stmt(`DELETE FROM inbox_keys WHERE (key, inbox_id) IN (SELECT k.value, i.id FROM inbox i, json_each(i.item_keys) k WHERE i.status = 'processed' AND i.processed_at < ? AND i.item_keys IS NOT NULL)`).run(before);
    return {
      outbox: db.stmt(`DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < ?`).run(before).changes,
      inbox: db.stmt(`DELETE FROM inbox WHERE status = 'processed' AND processed_at < ?`).run(before).changes,
    };
  });
}

/**
 * Forgotten tasks (`forgotten_tasks`, migration 0006) forgotten before `beforeMs`, except those an open dead letter
 * or a webhook not processed yet still names (its payload holds the SID): `tajo dlq replay` or the inbox processor
 * could derive them again. Each candidate scans those payloads; both sets are small in a store that keeps up.
 */
export function pruneForgotten(db: SqliteDb, beforeMs: number): number {
  return db.tx(() => db.stmt(`DELETE FROM forgotten_tasks WHERE forgotten_at < ?
    AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.status = 'open' AND instr(d.payload, forgotten_tasks.task_sid) > 0)
    AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.status <> 'processed' AND instr(i.payload, forgotten_tasks.task_sid) > 0)`).run(iso(beforeMs)).changes);
}
