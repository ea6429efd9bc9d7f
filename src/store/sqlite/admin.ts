/** Connectors, credentials, checkpoints, inbox, dead-letter reads, API keys and leases. */
import type { ApiKeyRecord, Checkpoint, ConnectorRecord, DeadLetter, InboxInput, InboxItem, SealedSecret } from '../types.js';
import type { SqliteDb } from './db.js';
import { INBOX_INSERT_SQL } from './inboxWriter.js';
import {
  inboxPayload, iso, json, toApiKey, toCheckpoint, toConnector, toDeadLetter, toInboxItems,
  type ApiKeyCols, type CheckpointCols, type ConnectorCols, type DeadLetterCols, type InboxCols,
} from '../rows.js';

export function getConnector(db: SqliteDb, id: string): ConnectorRecord | undefined {
  const row = db.read(() => db.stmt('SELECT * FROM connectors WHERE id = ?').get(id)) as ConnectorCols | undefined;
  return row && toConnector(row);
}

export function saveConnector(db: SqliteDb, rec: ConnectorRecord): void {
  db.tx(() =>
    db.stmt(`INSERT INTO connectors (id, settings, status, status_reason, installed_at, updated_at, last_sync_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, status = excluded.status, status_reason = excluded.status_reason,
        installed_at = excluded.installed_at, updated_at = excluded.updated_at, last_sync_at = excluded.last_sync_at, last_error = excluded.last_error`).run(
      rec.id, json(rec.settings), rec.status, rec.statusReason ?? null, rec.installedAt, rec.updatedAt, rec.lastSyncAt ?? null,
      rec.lastError ? json(rec.lastError) : null));
}

/** Removes the connector, its sealed credentials and its checkpoints; synced data stays (a reinstall resumes it). */
export function deleteConnector(db: SqliteDb, id: string): void {
  db.tx(() => {
    db.stmt('DELETE FROM checkpoints WHERE connector_id = ?').run(id);
    db.stmt('DELETE FROM secrets WHERE connector_id = ?').run(id);
    db.stmt('DELETE FROM connectors WHERE id = ?').run(id);
  });
}

/** `reason` is replaced (cleared when absent); `lastError` is replaced only when given. */
export function setConnectorStatus(db: SqliteDb, id: string, status: ConnectorRecord['status'], nowMs: number, reason?: string, lastError?: ConnectorRecord['lastError']): void {
  db.tx(() =>
    db.stmt('UPDATE connectors SET status = ?, status_reason = ?, last_error = coalesce(?, last_error), updated_at = ? WHERE id = ?').run(
      status, reason ?? null, lastError ? json(lastError) : null, iso(nowMs), id));
}

export function markSynced(db: SqliteDb, id: string, at: string): void {
  db.tx(() => db.stmt('UPDATE connectors SET last_sync_at = ? WHERE id = ?').run(at, id));
}

export function putSecret(db: SqliteDb, connectorId: string, name: string, sealed: SealedSecret, nowMs: number): void {
  db.tx(() =>
    db.stmt(`INSERT INTO secrets (connector_id, name, iv, tag, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (connector_id, name) DO UPDATE SET iv = excluded.iv, tag = excluded.tag, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`).run(
      connectorId, name, sealed.iv, sealed.tag, sealed.ciphertext, iso(nowMs)));
}

export function getSecrets(db: SqliteDb, connectorId: string): Record<string, SealedSecret> {
  const rows = db.read(() => db.stmt('SELECT name, iv, tag, ciphertext FROM secrets WHERE connector_id = ? ORDER BY name').all(connectorId)) as
    (SealedSecret & { name: string })[];
  const out: Record<string, SealedSecret> = {};
  for (const r of rows) out[r.name] = { iv: r.iv, tag: r.tag, ciphertext: r.ciphertext };
  return out;
}

export function getCheckpoint(db: SqliteDb, connectorId: string, stream: string, partition: string): Checkpoint | undefined {
  const row = db.read(() => db.stmt('SELECT * FROM checkpoints WHERE connector_id = ? AND stream = ? AND partition = ?').get(connectorId, stream, partition));
  return row ? toCheckpoint(row as CheckpointCols) : undefined;
}

export function listCheckpoints(db: SqliteDb, connectorId: string): Checkpoint[] {
  const rows = db.read(() => db.stmt('SELECT * FROM checkpoints WHERE connector_id = ? ORDER BY stream, partition').all(connectorId));
  return (rows as CheckpointCols[]).map(toCheckpoint);
}

export function deleteCheckpoints(db: SqliteDb, connectorId: string, stream?: string): void {
  db.tx(() => {
    if (stream === undefined) db.stmt('DELETE FROM checkpoints WHERE connector_id = ?').run(connectorId);
    else db.stmt('DELETE FROM checkpoints WHERE connector_id = ? AND stream = ?').run(connectorId, stream);
  });
}

export function ingest(db: SqliteDb, items: InboxInput[], nowMs: number): { accepted: number; duplicates: number; acceptedKeys: string[] } {
  const at = iso(nowMs);
  return db.tx(() => {
    const s = db.stmt(INBOX_INSERT_SQL);
    const acceptedKeys: string[] = [];
    for (const item of items) if (s.run(item.key, item.source, inboxPayload(item), at, item.key).changes) acceptedKeys.push(item.key);
    return { accepted: acceptedKeys.length, duplicates: items.length - acceptedKeys.length, acceptedKeys };
  });
}

/**
 * Claims pending rows and rows whose lease expired (a crashed processor's), oldest first: whole rows (a batch row's
 * items complete together), as many as fit in `limit` items, and at least one.
 */
export function claimInbox(db: SqliteDb, opts: { workerId: string; limit: number; leaseMs: number; nowMs: number }): InboxItem[] {
  return db.tx(() => {
    const rows = db.stmt(`UPDATE inbox SET status = 'inflight', claimed_by = ?, claimed_until_ms = ?
      WHERE id IN (
        SELECT id FROM (
          SELECT id, n, sum(n) OVER (ORDER BY id) AS acc FROM (
            SELECT id, coalesce(json_array_length(item_keys), 1) AS n FROM (
              SELECT id, item_keys FROM inbox WHERE status = 'pending'
              UNION ALL SELECT id, item_keys FROM inbox WHERE status = 'inflight' AND claimed_until_ms <= ?
            ) ORDER BY id LIMIT ?))
        WHERE acc <= ? OR acc = n)
      RETURNING id, key, source, payload, received_at, item_keys`).all(opts.workerId, opts.nowMs + opts.leaseMs, opts.nowMs, opts.limit, opts.limit) as InboxCols[];
    return rows.sort((a, b) => a.id - b.id).flatMap((r) => markDuplicates(db, r, toInboxItems(r)));
  });
}

/**
 * Dedupe across rows, at claim (a batch row is stored without writing its keys: inboxJournal.ts, the import): the
 * row that holds a key first (lowest id) keeps it. A batch row's items register their keys in `inbox_keys`; an item
 * whose key a single row of a lower id holds, or another batch row registered, is marked `duplicate`. A single row is
 * a duplicate when a batch row registered its key. Claimed again after its lease, a row finds its own keys.
 */
function markDuplicates(db: SqliteDb, row: InboxCols, items: InboxItem[]): InboxItem[] {
  if (items.length === 0 || items[0]?.corrupt !== undefined) return items;
  if (row.item_keys == null) {
    const o = db.stmt('SELECT inbox_id FROM inbox_keys WHERE key = ?').pluck().get(row.key) as number | undefined;
    return o === undefined || o === row.id ? items : items.map((i) => ({ ...i, duplicate: true as const }));
  }
  return items.map((i) => {
    const single = db.stmt('SELECT id FROM inbox WHERE key = ? AND item_keys IS NULL').pluck().get(i.key) as number | undefined;
    if (single !== undefined && single < row.id) return { ...i, duplicate: true as const };
    // Registers the key, or (the no-op update) returns the row that registered it first: one statement, not two.
    const o = db.stmt('INSERT INTO inbox_keys (key, inbox_id) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET inbox_id = inbox_id RETURNING inbox_id')
      .pluck().get(i.key, row.id) as number;
    return o === row.id ? i : { ...i, duplicate: true as const };
  });
}

export function listDeadLetters(db: SqliteDb, opts: { status?: DeadLetter['status']; limit?: number; afterId?: number } = {}): DeadLetter[] {
  const rows = db.read(() =>
    db.stmt('SELECT * FROM dead_letters WHERE (? IS NULL OR status = ?) AND id > ? ORDER BY id LIMIT ?').all(
      opts.status ?? null, opts.status ?? null, opts.afterId ?? 0, opts.limit ?? 100)) as DeadLetterCols[];
  return rows.map(toDeadLetter);
}

export function getDeadLetter(db: SqliteDb, id: number): DeadLetter | undefined {
  const row = db.read(() => db.stmt('SELECT * FROM dead_letters WHERE id = ?').get(id)) as DeadLetterCols | undefined;
  return row && toDeadLetter(row);
}

/** Open dead letters per reason. */
export function deadLetterCounts(db: SqliteDb): Record<string, number> {
  const rows = db.read(() => db.stmt("SELECT reason, count(*) AS n FROM dead_letters WHERE status = 'open' GROUP BY reason ORDER BY reason").all()) as
    { reason: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

export function createApiKey(db: SqliteDb, rec: { id: string; name: string; hash: string }, nowMs: number): void {
  db.tx(() => db.stmt('INSERT INTO api_keys (id, name, hash, created_at) VALUES (?, ?, ?, ?)').run(rec.id, rec.name, rec.hash, iso(nowMs)));
}

/** Active (not revoked) key with this hash. */
export function findApiKey(db: SqliteDb, hash: string): ApiKeyRecord | undefined {
  const row = db.read(() => db.stmt('SELECT id, name, created_at, revoked_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL').get(hash)) as ApiKeyCols | undefined;
  return row && toApiKey(row);
}

export function listApiKeys(db: SqliteDb): ApiKeyRecord[] {
  const rows = db.read(() => db.stmt('SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id').all()) as ApiKeyCols[];
  return rows.map(toApiKey);
}

export function revokeApiKey(db: SqliteDb, id: string, nowMs: number): boolean {
  return db.tx(() => db.stmt('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(iso(nowMs), id).changes > 0);
}

export function retryInboxAt(db: SqliteDb, ids: number[], workerId: string, atMs: number): void {
  if (!ids.length) return;
  db.tx(() => {
    const s = db.stmt("UPDATE inbox SET claimed_until_ms = ? WHERE id = ? AND status = 'inflight' AND claimed_by = ?");
    for (const id of ids) s.run(atMs, id, workerId);
  });
}

/** Takes the lease when free, expired, or already ours (renewal). */
export function acquireLease(db: SqliteDb, name: string, holder: string, ttlMs: number, nowMs: number): boolean {
  return db.tx(() => {
    const row = db.stmt(`INSERT INTO leases (name, holder, expires_ms, acquired_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms,
        acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
      WHERE leases.holder = excluded.holder OR leases.expires_ms <= ?
      RETURNING holder`).get(name, holder, nowMs + ttlMs, iso(nowMs), nowMs);
    return row !== undefined;
  });
}

export function releaseLease(db: SqliteDb, name: string, holder: string): void {
  db.tx(() => db.stmt('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
}
