/** Outbox, ledger and dead-letter SQL, Postgres dialect (twin of ../sqlite/outbox.ts; SKIP LOCKED for concurrent drainers). */
import type { DeadLetterInput, OutboxInput, OutboxItem, OutboxKind, OutboxStats } from '../types.js';
import { deadLetterTaskSids, forgottenReplayError } from '../forgotten.js';
import { iso, toOutbox, type OutboxCols } from '../rows.js';
import type { PgDb, Queryable } from './db.js';
import { jsonb } from './jsonb.js';

const OUTBOX_KINDS: readonly OutboxKind[] = ['contact', 'event', 'list_add', 'list_remove'];
const CHUNK = 5000;

const INSERT_EVENTS = `
INSERT INTO outbox (connector_id, kind, key, customer_key, payload, content_hash, priority, status, attempts, next_attempt_ms, created_ms, created_at, updated_at)
SELECT $1, 'event', t.key, t.customer_key, t.payload::jsonb, t.content_hash, t.priority, 'pending', 0, 0, $2, $3, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::smallint[]) WITH ORDINALITY AS t(key, customer_key, payload, content_hash, priority, ord)
WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.key = t.key)
ORDER BY t.ord
ON CONFLICT (key) WHERE kind = 'event' DO NOTHING`;

const UPSERT_STATES = `
INSERT INTO outbox (connector_id, kind, key, customer_key, payload, content_hash, priority, status, attempts, next_attempt_ms, created_ms, created_at, updated_at)
SELECT $1, t.kind, t.key, t.customer_key, t.payload::jsonb, t.content_hash, t.priority, 'pending', 0, 0, $2, $3, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::smallint[]) WITH ORDINALITY AS t(kind, key, customer_key, payload, content_hash, priority, ord)
ORDER BY t.ord
ON CONFLICT (key) WHERE status = 'pending' AND kind <> 'event' DO UPDATE SET
  kind = EXCLUDED.kind, payload = EXCLUDED.payload, content_hash = EXCLUDED.content_hash,
  customer_key = coalesce(EXCLUDED.customer_key, outbox.customer_key),
  priority = LEAST(outbox.priority, EXCLUDED.priority), updated_at = EXCLUDED.updated_at`;

/** Bulk enqueue of an already-normalised batch (no key twice); returns rows inserted or coalesced. */
export async function enqueue(db: PgDb, c: Queryable, connectorId: string, items: OutboxInput[], nowMs: number): Promise<number> {
  const at = iso(nowMs);
  let n = 0;
  const events = items.filter((i) => i.kind === 'event');
  const states = items.filter((i) => i.kind !== 'event');
  for (let i = 0; i < events.length; i += CHUNK) {
    const part = events.slice(i, i + CHUNK);
    n += await db.count(INSERT_EVENTS, [connectorId, nowMs, at, part.map((e) => e.key), part.map((e) => e.customerKey ?? null),
      part.map((e) => jsonb(e.payload)), part.map((e) => e.contentHash ?? null), part.map((e) => e.priority)], c);
  }
  for (let i = 0; i < states.length; i += CHUNK) {
    const part = states.slice(i, i + CHUNK);
    n += await db.count(UPSERT_STATES, [connectorId, nowMs, at, part.map((e) => e.kind), part.map((e) => e.key), part.map((e) => e.customerKey ?? null),
      part.map((e) => jsonb(e.payload)), part.map((e) => e.contentHash ?? null), part.map((e) => e.priority)], c);
  }
  return n;
}

export async function claimOutbox(db: PgDb, opts: { workerId: string; kinds?: OutboxKind[]; limit: number; leaseMs: number; nowMs: number }): Promise<OutboxItem[]> {
  const kinds = opts.kinds?.length ? [...new Set(opts.kinds)].sort() : [...OUTBOX_KINDS];
  const at = iso(opts.nowMs);
  const rows = await db.tx(async (c) => {
    await db.query(`DELETE FROM outbox WHERE id IN (
      SELECT x.id FROM outbox x WHERE x.status = 'inflight' AND x.claimed_until_ms <= $1 AND x.kind <> 'event'
        AND EXISTS (SELECT 1 FROM outbox p WHERE p.key = x.key AND p.status = 'pending' AND p.kind <> 'event')
      FOR UPDATE SKIP LOCKED)`, [opts.nowMs], c);
    await db.query(`UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until_ms = NULL, updated_at = $2
      WHERE id IN (SELECT id FROM outbox WHERE status = 'inflight' AND claimed_until_ms <= $1 FOR UPDATE SKIP LOCKED)`, [opts.nowMs, at], c);
    return db.query<OutboxCols>(`UPDATE outbox SET status = 'inflight', claimed_by = $1, claimed_until_ms = $2, attempts = attempts + 1, updated_at = $3
      WHERE id IN (
        SELECT o.id FROM outbox o
        WHERE o.status = 'pending' AND o.next_attempt_ms <= $4 AND o.kind = ANY($5::text[])
          AND (o.kind = 'event' OR NOT EXISTS (SELECT 1 FROM outbox i WHERE i.key = o.key AND i.status = 'inflight' AND i.kind <> 'event'))
          AND (o.kind <> 'event' OR o.customer_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox c WHERE c.key = 'contact:' || o.customer_key AND c.kind <> 'event' AND c.status IN ('pending', 'inflight')
              AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.key = c.key)))
        ORDER BY o.priority, o.next_attempt_ms, o.id
        LIMIT $6
        FOR UPDATE SKIP LOCKED)
      RETURNING *`, [opts.workerId, opts.nowMs + opts.leaseMs, at, opts.nowMs, kinds, opts.limit], c);
  });
  return rows.sort((a, b) => a.priority - b.priority || a.next_attempt_ms - b.next_attempt_ms || a.id - b.id).map(toOutbox);
}

export async function completeOutbox(db: PgDb, ids: number[], nowMs: number): Promise<void> {
  if (!ids.length) return;
  const at = iso(nowMs);
  await db.query(`WITH done AS (
      UPDATE outbox SET status = 'delivered', claimed_by = NULL, claimed_until_ms = NULL, delivered_at = $2, updated_at = $2
      WHERE id = ANY($1::bigint[]) AND status = 'inflight' RETURNING id, key, kind, content_hash)
    INSERT INTO ledger (key, kind, content_hash, delivered_at)
    SELECT DISTINCT ON (key) key, kind, content_hash, $2 FROM done ORDER BY key, id DESC
    ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, content_hash = EXCLUDED.content_hash, delivered_at = EXCLUDED.delivered_at`, [ids, at]);
}

export async function retryOutbox(db: PgDb, id: number, nextAttemptMs: number, error: string, nowMs: number): Promise<void> {
  await db.tx(async (c) => {
    const superseded = await db.count(`DELETE FROM outbox o WHERE o.id = $1 AND o.status = 'inflight' AND o.kind <> 'event'
      AND EXISTS (SELECT 1 FROM outbox p WHERE p.key = o.key AND p.status = 'pending' AND p.kind <> 'event')`, [id], c);
    if (superseded) return;
    await db.query(`UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until_ms = NULL, next_attempt_ms = $1, last_error = $2, updated_at = $3
      WHERE id = $4 AND status = 'inflight'`, [nextAttemptMs, error, iso(nowMs), id], c);
  });
}

const UPSERT_DEAD_LETTER = `
INSERT INTO dead_letters (connector_id, source, reason, record_key, payload, error, outbox_id, status, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, 'open', $8, $8)
ON CONFLICT (source, reason, record_key) WHERE status = 'open' DO UPDATE SET
  payload = EXCLUDED.payload, error = EXCLUDED.error, outbox_id = coalesce(EXCLUDED.outbox_id, dead_letters.outbox_id),
  connector_id = coalesce(EXCLUDED.connector_id, dead_letters.connector_id), updated_at = EXCLUDED.updated_at`;

export async function putDeadLetter(db: PgDb, c: Queryable, connectorId: string | null, letter: DeadLetterInput, nowMs: number, outboxId: number | null = null): Promise<void> {
  await db.query(UPSERT_DEAD_LETTER, [connectorId, letter.source, letter.reason, letter.recordKey, jsonb(letter.payload), letter.error ?? null, outboxId, iso(nowMs)], c);
}

export async function deadLetterOutbox(db: PgDb, id: number, letter: DeadLetterInput, nowMs: number): Promise<void> {
  await db.tx(async (c) => {
    const [row] = await db.query<{ connector_id: string | null }>(`UPDATE outbox SET status = 'dead', claimed_by = NULL, claimed_until_ms = NULL, last_error = $1, updated_at = $2
      WHERE id = $3 AND status = 'inflight' RETURNING connector_id`, [letter.error ?? null, iso(nowMs), id], c);
    if (row) await putDeadLetter(db, c, row.connector_id, letter, nowMs, id);
  });
}

/** Same as the SQLite twin (see ../sqlite/outbox.ts): a dead letter naming a forgotten task is not replayed. */
export async function setDeadLetterStatus(db: PgDb, id: number, status: 'replayed' | 'discarded', nowMs: number): Promise<void> {
  const at = iso(nowMs);
  await db.tx(async (c) => {
    if (status === 'replayed') {
      // FOR UPDATE: a forget deleting this letter meanwhile waits for the replay, then deletes the requeued row with their others
      const [letter] = await db.query<{ connector_id: string | null; record_key: string; payload: string }>(
        "SELECT connector_id, record_key, payload::text AS payload FROM dead_letters WHERE id = $1 AND status = 'open' FOR UPDATE", [id], c);
      const sids = letter ? deadLetterTaskSids(letter.record_key, letter.payload) : [];
      const forgotten = sids.length
        ? (await db.query<{ sid: string }>('SELECT DISTINCT task_sid AS sid FROM forgotten_tasks WHERE ($1::text IS NULL OR connector_id = $1) AND task_sid = ANY($2::text[]) ORDER BY 1',
          [letter?.connector_id ?? null, sids], c)).map((r) => r.sid)
        : [];
      if (forgotten.length) throw forgottenReplayError(id, forgotten);
    }
    const [row] = await db.query<{ outbox_id: number | null }>(`UPDATE dead_letters SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'open' RETURNING outbox_id`,
      [status, at, id], c);
    if (!row || row.outbox_id == null || status !== 'replayed') return;
    await db.query(`UPDATE outbox o SET status = 'pending', attempts = 0, next_attempt_ms = 0, last_error = NULL, updated_at = $1
      WHERE o.id = $2 AND o.status = 'dead'
        AND NOT (o.kind <> 'event' AND EXISTS (SELECT 1 FROM outbox p WHERE p.key = o.key AND p.status = 'pending' AND p.kind <> 'event'))`, [at, row.outbox_id], c);
  });
}

export async function delivered(db: PgDb, keys: string[]): Promise<Map<string, string | null>> {
  if (!keys.length) return new Map();
  const rows = await db.query<{ key: string; content_hash: string | null }>('SELECT key, content_hash FROM ledger WHERE key = ANY($1::text[])', [keys]);
  return new Map(rows.map((r) => [r.key, r.content_hash]));
}

export async function outboxStats(db: PgDb): Promise<OutboxStats> {
  const stats: OutboxStats = { pending: 0, inflight: 0, delivered: 0, dead: 0, oldestPendingMs: null, byKind: { contact: 0, event: 0, list_add: 0, list_remove: 0 } };
  for (const r of await db.query<{ status: string; n: number }>('SELECT status, count(*) AS n FROM outbox GROUP BY status')) {
    if (r.status === 'pending' || r.status === 'inflight' || r.status === 'delivered' || r.status === 'dead') stats[r.status] = r.n;
  }
  for (const r of await db.query<{ kind: OutboxKind; n: number }>("SELECT kind, count(*) AS n FROM outbox WHERE status IN ('pending', 'inflight') GROUP BY kind")) {
    stats.byKind[r.kind] = r.n;
  }
  const [oldest] = await db.query<{ m: number | null }>("SELECT min(created_ms) AS m FROM outbox WHERE status = 'pending'");
  stats.oldestPendingMs = oldest?.m ?? null;
  return stats;
}

/** As SQLite's: delivered outbox rows, processed inbox rows and the dedupe keys of the batch rows among them. */
export async function pruneDelivered(db: PgDb, beforeMs: number): Promise<{ outbox: number; inbox: number }> {
  const before = new Date(beforeMs).toISOString();
  return db.tx(async (c) => {
    // only the keys a pruned row owns (as SQLite's)
    await db.count(`DELETE FROM inbox_keys WHERE (key, inbox_id) IN (SELECT k.value, i.id FROM inbox i, json_array_elements_text(i.item_keys::json) k WHERE i.status = 'processed' AND i.processed_at < $1 AND i.item_keys IS NOT NULL)`, [before], c);
    return {
      outbox: await db.count(`DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < $1`, [before], c),
      inbox: await db.count(`DELETE FROM inbox WHERE status = 'processed' AND processed_at < $1`, [before], c),
    };
  });
}

/** As SQLite's: forgotten tasks forgotten before `beforeMs` that no open dead letter or unprocessed webhook names. */
export async function pruneForgotten(db: PgDb, beforeMs: number): Promise<number> {
  return db.count(`DELETE FROM forgotten_tasks f WHERE f.forgotten_at < $1
    AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.status = 'open' AND strpos(d.payload::text, f.task_sid) > 0)
    AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.status <> 'processed' AND strpos(i.payload::text, f.task_sid) > 0)`, [iso(beforeMs)]);
}
