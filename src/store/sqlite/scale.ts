/** Shared rate budgets, the replica registry and the lease listing (SQLite twin of ../postgres/scale.ts). */
import {
  budgetParams, spendBudget as spend, toBudgetRow, toLease, toReplica,
  type BudgetCols, type BudgetGrant, type BudgetSpend, type LeaseCols, type LeaseRecord, type ReplicaCols, type ReplicaRecord,
} from '../scale.js';
import type { SqliteDb } from './db.js';

/** One write transaction (`BEGIN IMMEDIATE`): read, compute, write. `nowMs` is this process's clock. */
export function spendBudget(db: SqliteDb, req: BudgetSpend, nowMs: number): BudgetGrant {
  return db.tx(() => {
    const prev = db.stmt('SELECT tokens, updated_ms, paused_until_ms, window_start_ms, window_used, used FROM rate_budgets WHERE name = ?').get(req.name) as BudgetCols | undefined;
    const { row, grant } = spend(prev && toBudgetRow(prev), req, nowMs);
    db.stmt(`INSERT INTO rate_budgets (name, tokens, updated_ms, paused_until_ms, window_start_ms, window_used, used) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms, paused_until_ms = excluded.paused_until_ms,
        window_start_ms = excluded.window_start_ms, window_used = excluded.window_used, used = excluded.used`).run(...budgetParams(req.name, row));
    return grant;
  });
}

export function heartbeatReplica(db: SqliteDb, r: ReplicaRecord): void {
  db.tx(() =>
    db.stmt(`INSERT INTO replicas (id, host, pid, role, started_at, heartbeat_ms, info) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET role = excluded.role, heartbeat_ms = excluded.heartbeat_ms, info = excluded.info`).run(
      r.id, r.host, r.pid, r.role, r.startedAt, r.heartbeatMs, JSON.stringify(r.info)));
}

export function removeReplica(db: SqliteDb, id: string): void {
  db.tx(() => db.stmt('DELETE FROM replicas WHERE id = ?').run(id));
}

export function pruneReplicas(db: SqliteDb, beforeMs: number): number {
  return db.tx(() => db.stmt('DELETE FROM replicas WHERE heartbeat_ms < ?').run(beforeMs).changes);
}

export function listReplicas(db: SqliteDb): ReplicaRecord[] {
  return (db.read(() => db.stmt('SELECT * FROM replicas ORDER BY started_at, id').all()) as ReplicaCols[]).map(toReplica);
}

export function renewOutboxClaims(db: SqliteDb, workerId: string, ids: number[], untilMs: number): number {
  if (!ids.length) return 0;
  return db.tx(() => {
    const stmt = db.stmt("UPDATE outbox SET claimed_until_ms = ? WHERE id = ? AND status = 'inflight' AND claimed_by = ?");
    let n = 0;
    for (const id of ids) n += stmt.run(untilMs, id, workerId).changes;
    return n;
  });
}

export function listLeases(db: SqliteDb): LeaseRecord[] {
  return (db.read(() => db.stmt('SELECT name, holder, expires_ms, acquired_at FROM leases ORDER BY name').all()) as LeaseCols[]).map(toLease);
}
