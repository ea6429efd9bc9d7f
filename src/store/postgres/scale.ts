/**
 * Shared rate budgets, the replica registry and the lease listing: Postgres twin of ../sqlite/scale.ts.
 * A spend locks its bucket row (`FOR UPDATE`), so replicas spending the same budget queue for a millisecond each;
 * the clock is the database server's, so replicas on hosts with skewed clocks still share one timeline.
 */
import {
  budgetParams, spendBudget as spend, toBudgetRow, toLease, toReplica,
  type BudgetCols, type BudgetGrant, type BudgetSpend, type LeaseCols, type LeaseRecord, type ReplicaCols, type ReplicaRecord,
} from '../scale.js';
import type { PgDb } from './db.js';
import { jsonb } from './jsonb.js';

const SELECT_BUDGET = `SELECT tokens, updated_ms, paused_until_ms, window_start_ms, window_used, used,
    floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
  FROM rate_budgets WHERE name = $1 FOR UPDATE`;
const NOW = 'SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms';

export async function spendBudget(db: PgDb, req: BudgetSpend): Promise<BudgetGrant> {
  return db.tx(async (c) => {
    let [prev] = await db.query<BudgetCols & { now_ms: number }>(SELECT_BUDGET, [req.name], c);
    if (!prev) {
      // First use: create the bucket full; a replica racing us for the insert makes ours a no-op, then we lock theirs.
      const [{ now_ms } = { now_ms: Date.now() }] = await db.query<{ now_ms: number }>(NOW, [], c);
      const fresh = spend(undefined, { ...req, want: 0 }, now_ms).row;
      await db.query(`INSERT INTO rate_budgets (name, tokens, updated_ms, paused_until_ms, window_start_ms, window_used, used)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING`, budgetParams(req.name, fresh), c);
      [prev] = await db.query<BudgetCols & { now_ms: number }>(SELECT_BUDGET, [req.name], c);
      if (!prev) throw new Error(`rate budget ${req.name} vanished`);
    }
    const { row, grant } = spend(toBudgetRow(prev), req, Number(prev.now_ms));
    await db.query(`UPDATE rate_budgets SET tokens = $2, updated_ms = $3, paused_until_ms = $4, window_start_ms = $5, window_used = $6, used = $7
      WHERE name = $1`, budgetParams(req.name, row), c);
    return grant;
  });
}

export async function heartbeatReplica(db: PgDb, r: ReplicaRecord): Promise<void> {
  await db.query(`INSERT INTO replicas (id, host, pid, role, started_at, heartbeat_ms, info) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
    ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, heartbeat_ms = EXCLUDED.heartbeat_ms, info = EXCLUDED.info`,
  [r.id, r.host, r.pid, r.role, r.startedAt, r.heartbeatMs, jsonb(r.info)]);
}

export async function removeReplica(db: PgDb, id: string): Promise<void> {
  await db.query('DELETE FROM replicas WHERE id = $1', [id]);
}

export async function pruneReplicas(db: PgDb, beforeMs: number): Promise<number> {
  return db.count('DELETE FROM replicas WHERE heartbeat_ms < $1', [beforeMs]);
}

export async function listReplicas(db: PgDb): Promise<ReplicaRecord[]> {
  return (await db.query<ReplicaCols>('SELECT * FROM replicas ORDER BY started_at, id')).map(toReplica);
}

export async function renewOutboxClaims(db: PgDb, workerId: string, ids: number[], untilMs: number): Promise<number> {
  if (!ids.length) return 0;
  // SKIP LOCKED: a row being completed or retried right now needs no renewal, and waiting for it could deadlock.
  return db.count(`UPDATE outbox SET claimed_until_ms = $3 WHERE id IN (
    SELECT id FROM outbox WHERE id = ANY($1::bigint[]) AND status = 'inflight' AND claimed_by = $2 FOR UPDATE SKIP LOCKED)`, [ids, workerId, untilMs]);
}

export async function listLeases(db: PgDb): Promise<LeaseRecord[]> {
  return (await db.query<LeaseCols>('SELECT name, holder, expires_ms, acquired_at FROM leases ORDER BY name')).map(toLease);
}
