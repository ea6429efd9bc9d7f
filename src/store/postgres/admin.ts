/** Connectors, credentials, checkpoints, inbox, dead-letter reads, API keys and leases: Postgres twin of ../sqlite/admin.ts. */
import {
  inboxPayload, iso, toApiKey, toCheckpoint, toConnector, toDeadLetter, toInboxItems,
  type ApiKeyCols, type CheckpointCols, type ConnectorCols, type DeadLetterCols, type InboxCols,
} from '../rows.js';
import type { ApiKeyRecord, Checkpoint, ConnectorRecord, DeadLetter, InboxInput, InboxItem, SealedSecret } from '../types.js';
import type { PgDb } from './db.js';
import { jsonb, jsonbText } from './jsonb.js';

export async function getConnector(db: PgDb, id: string): Promise<ConnectorRecord | undefined> {
  const [row] = await db.query<ConnectorCols>('SELECT * FROM connectors WHERE id = $1', [id]);
  return row && toConnector(row);
}

export async function saveConnector(db: PgDb, rec: ConnectorRecord): Promise<void> {
  await db.query(`INSERT INTO connectors (id, settings, status, status_reason, installed_at, updated_at, last_sync_at, last_error)
    VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8::jsonb)
    ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
      installed_at = EXCLUDED.installed_at, updated_at = EXCLUDED.updated_at, last_sync_at = EXCLUDED.last_sync_at, last_error = EXCLUDED.last_error`,
  [rec.id, jsonb(rec.settings), rec.status, rec.statusReason ?? null, rec.installedAt, rec.updatedAt, rec.lastSyncAt ?? null, rec.lastError ? jsonb(rec.lastError) : null]);
}

export async function deleteConnector(db: PgDb, id: string): Promise<void> {
  await db.tx(async (c) => {
    await db.query('DELETE FROM checkpoints WHERE connector_id = $1', [id], c);
    await db.query('DELETE FROM secrets WHERE connector_id = $1', [id], c);
    await db.query('DELETE FROM connectors WHERE id = $1', [id], c);
  });
}

export async function setConnectorStatus(db: PgDb, id: string, status: ConnectorRecord['status'], nowMs: number, reason?: string, lastError?: ConnectorRecord['lastError']): Promise<void> {
  await db.query('UPDATE connectors SET status = $1, status_reason = $2, last_error = coalesce($3::jsonb, last_error), updated_at = $4 WHERE id = $5',
    [status, reason ?? null, lastError ? jsonb(lastError) : null, iso(nowMs), id]);
}

export async function markSynced(db: PgDb, id: string, at: string): Promise<void> {
  await db.query('UPDATE connectors SET last_sync_at = $1 WHERE id = $2', [at, id]);
}

export async function putSecret(db: PgDb, connectorId: string, name: string, sealed: SealedSecret, nowMs: number): Promise<void> {
  await db.query(`INSERT INTO secrets (connector_id, name, iv, tag, ciphertext, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (connector_id, name) DO UPDATE SET iv = EXCLUDED.iv, tag = EXCLUDED.tag, ciphertext = EXCLUDED.ciphertext, updated_at = EXCLUDED.updated_at`,
  [connectorId, name, sealed.iv, sealed.tag, sealed.ciphertext, iso(nowMs)]);
}

export async function getSecrets(db: PgDb, connectorId: string): Promise<Record<string, SealedSecret>> {
  const rows = await db.query<SealedSecret & { name: string }>('SELECT name, iv, tag, ciphertext FROM secrets WHERE connector_id = $1 ORDER BY name', [connectorId]);
  const out: Record<string, SealedSecret> = {};
  for (const r of rows) out[r.name] = { iv: r.iv, tag: r.tag, ciphertext: r.ciphertext };
  return out;
}

export async function getCheckpoint(db: PgDb, connectorId: string, stream: string, partition: string): Promise<Checkpoint | undefined> {
  const [row] = await db.query<CheckpointCols>('SELECT * FROM checkpoints WHERE connector_id = $1 AND stream = $2 AND partition = $3', [connectorId, stream, partition]);
  return row && toCheckpoint(row);
}

export async function listCheckpoints(db: PgDb, connectorId: string): Promise<Checkpoint[]> {
  return (await db.query<CheckpointCols>('SELECT * FROM checkpoints WHERE connector_id = $1 ORDER BY stream COLLATE "C", partition COLLATE "C"', [connectorId])).map(toCheckpoint);
}

export async function deleteCheckpoints(db: PgDb, connectorId: string, stream?: string): Promise<void> {
  await db.query('DELETE FROM checkpoints WHERE connector_id = $1 AND ($2::text IS NULL OR stream = $2)', [connectorId, stream ?? null]);
}

/**
 * Rows go in key order: replicas inserting overlapping batches (a delivery retried on another replica) then take
 * the unique-index locks in the same order and never deadlock. Processing order does not matter (derivation is
 * order-independent).
 */
export async function ingest(db: PgDb, items: InboxInput[], nowMs: number): Promise<{ accepted: number; duplicates: number; acceptedKeys: string[] }> {
  if (!items.length) return { accepted: 0, duplicates: 0, acceptedKeys: [] };
  const rows = await db.query<{ key: string }>(`INSERT INTO inbox (key, source, payload, status, received_at)
    SELECT t.key, t.source, t.payload::jsonb, 'pending', $4 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(key, source, payload, ord)
    WHERE NOT EXISTS (SELECT 1 FROM inbox_keys k WHERE k.key = t.key)
    ORDER BY t.key ON CONFLICT (key) DO NOTHING RETURNING key`,
  [items.map((i) => i.key), items.map((i) => i.source), items.map((i) => jsonbText(inboxPayload(i))), iso(nowMs)]);
  const inserted = new Set(rows.map((r) => r.key));
  const acceptedKeys = items.map((i) => i.key).filter((k, idx, all) => inserted.has(k) && all.indexOf(k) === idx);
  return { accepted: acceptedKeys.length, duplicates: items.length - acceptedKeys.length, acceptedKeys };
}

/**
 * Whole rows, oldest first, as many as fit in `limit` items and at least one (as SQLite's `claimInbox`).
 * Postgres writes no batch rows, but a SQLite store copied by `tajo migrate --from sqlite` brings the ones its webhook
 * writer stored and no claim took yet: their keys are not in `inbox_keys` (SQLite registers them at claim). They are
 * registered here, with SQLite's rule (`markDuplicates` in ../sqlite/admin.ts), so a repeat of one of their events,
 * in another copied row or in a later delivery, is dropped as a duplicate rather than stored and processed again.
 */
export async function claimInbox(db: PgDb, opts: { workerId: string; limit: number; leaseMs: number; nowMs: number }): Promise<InboxItem[]> {
  const rows = await db.query<InboxCols & { key_owner: number | null }>(`WITH cand AS (
      SELECT id, coalesce(json_array_length(item_keys::json), 1) AS n FROM inbox
      WHERE status = 'pending' OR (status = 'inflight' AND claimed_until_ms <= $3)
      ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED),
    picked AS (SELECT id FROM (SELECT id, n, sum(n) OVER (ORDER BY id) AS acc FROM cand) x WHERE acc <= $4 OR acc = n)
    UPDATE inbox SET status = 'inflight', claimed_by = $1, claimed_until_ms = $2
    WHERE id IN (SELECT id FROM picked)
    RETURNING id, key, source, payload, received_at, item_keys, (SELECT k.inbox_id FROM inbox_keys k WHERE k.key = inbox.key) AS key_owner`,
  [opts.workerId, opts.nowMs + opts.leaseMs, opts.nowMs, opts.limit]);
  const claimed = rows.sort((a, b) => a.id - b.id).map((r) => ({ row: r, items: toInboxItems(r) }));
  const batchIds = claimed.filter((c) => c.row.item_keys != null && c.items[0]?.corrupt === undefined).map((c) => c.row.id);
  const keys = batchIds.length ? await registerBatchKeys(db, batchIds) : new Map<string, { single: number | null; owner: number | null }>();
  return claimed.flatMap(({ row, items }) => {
    if (items.length === 0 || items[0]?.corrupt !== undefined) return items;
    if (row.item_keys == null) {
      // a single row is a duplicate when a batch row registered its key (before this claim, or in it)
      const owner = keys.get(row.key)?.owner ?? row.key_owner;
      return owner == null || owner === row.id ? items : items.map((i) => ({ ...i, duplicate: true as const }));
    }
    return items.map((i) => {
      const k = keys.get(i.key);
      const dup = k !== undefined && ((k.single !== null && k.single < row.id) || (k.owner !== null && k.owner !== row.id));
      return dup ? { ...i, duplicate: true as const } : i;
    });
  });
}

/**
 * Registers the keys of claimed batch rows in `inbox_keys` (the lowest row id holds a key; a key a single row of a
 * lower id holds is not registered: that row keeps it) and returns, per key, that single row's id and the key's owner.
 * Claimed again after its lease, a row finds its own keys. The no-op update (SQLite's twin does the same) returns the
 * owner another replica committed meanwhile, which the statement's snapshot would not show.
 */
async function registerBatchKeys(db: PgDb, ids: number[]): Promise<Map<string, { single: number | null; owner: number | null }>> {
  const rows = await db.query<{ key: string; single: number | null; owner: number | null }>(`WITH k AS (
      SELECT DISTINCT ON (e.key) e.key, i.id FROM inbox i, json_array_elements_text(i.item_keys::json) AS e(key)
      WHERE i.id = ANY($1::bigint[]) ORDER BY e.key, i.id),
    s AS (SELECT k.key, k.id, (SELECT x.id FROM inbox x WHERE x.key = k.key AND x.item_keys IS NULL) AS single FROM k),
    ins AS (INSERT INTO inbox_keys (key, inbox_id) SELECT key, id FROM s WHERE single IS NULL OR single > id
      ORDER BY key ON CONFLICT (key) DO UPDATE SET inbox_id = inbox_keys.inbox_id RETURNING key, inbox_id)
    SELECT s.key, s.single, coalesce(ins.inbox_id, o.inbox_id) AS owner FROM s LEFT JOIN ins USING (key) LEFT JOIN inbox_keys o ON o.key = s.key`, [ids]);
  return new Map(rows.map((r) => [r.key, { single: r.single, owner: r.owner }]));
}

export async function listDeadLetters(db: PgDb, opts: { status?: DeadLetter['status']; limit?: number; afterId?: number } = {}): Promise<DeadLetter[]> {
  return (await db.query<DeadLetterCols>('SELECT * FROM dead_letters WHERE ($1::text IS NULL OR status = $1) AND id > $2 ORDER BY id LIMIT $3',
    [opts.status ?? null, opts.afterId ?? 0, opts.limit ?? 100])).map(toDeadLetter);
}

export async function getDeadLetter(db: PgDb, id: number): Promise<DeadLetter | undefined> {
  const [row] = await db.query<DeadLetterCols>('SELECT * FROM dead_letters WHERE id = $1', [id]);
  return row && toDeadLetter(row);
}

export async function deadLetterCounts(db: PgDb): Promise<Record<string, number>> {
  const rows = await db.query<{ reason: string; n: number }>("SELECT reason, count(*) AS n FROM dead_letters WHERE status = 'open' GROUP BY reason ORDER BY reason");
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

export async function createApiKey(db: PgDb, rec: { id: string; name: string; hash: string }, nowMs: number): Promise<void> {
  await db.query('INSERT INTO api_keys (id, name, hash, created_at) VALUES ($1, $2, $3, $4)', [rec.id, rec.name, rec.hash, iso(nowMs)]);
}

export async function findApiKey(db: PgDb, hash: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await db.query<ApiKeyCols>('SELECT id, name, created_at, revoked_at FROM api_keys WHERE hash = $1 AND revoked_at IS NULL', [hash]);
  return row && toApiKey(row);
}

export async function listApiKeys(db: PgDb): Promise<ApiKeyRecord[]> {
  return (await db.query<ApiKeyCols>('SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id')).map(toApiKey);
}

export async function revokeApiKey(db: PgDb, id: string, nowMs: number): Promise<boolean> {
  return (await db.count('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [iso(nowMs), id])) > 0;
}

export async function acquireLease(db: PgDb, name: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean> {
  const rows = await db.query(`INSERT INTO leases (name, holder, expires_ms, acquired_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_ms = EXCLUDED.expires_ms,
      acquired_at = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.acquired_at ELSE EXCLUDED.acquired_at END
    WHERE leases.holder = EXCLUDED.holder OR leases.expires_ms <= $5
    RETURNING holder`, [name, holder, nowMs + ttlMs, iso(nowMs), nowMs]);
  return rows.length > 0;
}

export async function retryInboxAt(db: PgDb, ids: number[], workerId: string, atMs: number): Promise<void> {
  if (!ids.length) return;
  await db.query("UPDATE inbox SET claimed_until_ms = $1 WHERE id = ANY($2::bigint[]) AND status = 'inflight' AND claimed_by = $3", [atMs, ids, workerId]);
}

export async function releaseLease(db: PgDb, name: string, holder: string): Promise<void> {
  await db.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
}
