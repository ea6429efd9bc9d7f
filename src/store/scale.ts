/**
 * Scale-out state shared by every replica: token buckets for the vendors' rate budgets and the replica registry.
 * The bucket arithmetic is one pure function (`spendBudget`) both backends run under a row lock / write
 * transaction, so one replica's spend is immediately visible to the others.
 */

/** One spend (or read, `want: 0`) of a shared token bucket. Rates are real-time (already time-scaled). */
export interface BudgetSpend {
  name: string;
  /** Refill rate, tokens per real second (finite). */
  ratePerSecond: number;
  /** Bucket capacity. */
  burst: number;
  /** Tokens wanted now (granted: as many as available, up to this). */
  want: number;
  /**
   * Reservations ahead: also grant tokens that will have refilled within this many ms (the bucket goes negative;
   * everyone else waits for the refill). The caller starts the k-th granted call at `readyInMs(grant, k)`, so calls
   * still reach the vendor no faster than the bucket refills, and one round trip serves many calls. Default 0.
   */
  horizonMs?: number;
  /** Fixed-window cap (e.g. Brevo's 100 calls per hour) and the window length in real ms. */
  perWindow?: number;
  windowMs?: number;
  /** Extend the shared pause to now + pauseMs (a 429, `remaining: 0`). Never shortens a pause. */
  pauseMs?: number;
  /** What the vendor reported (rate-limit headers). */
  observed?: {
    /** Calls the vendor counted in its current window, and when that window ends (real ms from now). */
    windowUsed?: number;
    windowEndsInMs?: number;
    /** The vendor's per-second bucket holds at most this many tokens. */
    tokensAtMost?: number;
  };
}

export interface BudgetGrant {
  granted: number;
  /** Tokens left after the spend. */
  tokens: number;
  /** Real ms until one more token is available (0 when some are left). */
  waitMs: number;
  pausedUntilMs: number;
  /** Calls counted in the current window, and real ms until it ends (null without a window). */
  windowUsed: number | null;
  windowEndsInMs: number | null;
  /** The backend's clock at the spend (Postgres: the database server's). */
  nowMs: number;
}

/** A bucket row as stored (`rate_budgets`). */
export interface BudgetRow {
  tokens: number;
  updatedMs: number;
  pausedUntilMs: number;
  windowStartMs: number | null;
  windowUsed: number;
  used: number;
}

export interface ReplicaRecord {
  id: string;
  host: string;
  pid: number;
  /** `ingest`, `worker` or `all` (`tajo serve --role`). */
  role: string;
  startedAt: string;
  heartbeatMs: number;
  /** Free-form facts the replica publishes (URL, version, loops). */
  info: Record<string, unknown>;
}

export interface LeaseRecord {
  name: string;
  holder: string;
  expiresMs: number;
  acquiredAt: string;
}

/** The Store's scale-out operations (both backends; SQLite serves one process but keeps the same contract). */
export interface ScaleOps {
  /** Atomically refills, spends and reports one shared token bucket (created full on first use). */
  spendBudget(req: BudgetSpend): Promise<BudgetGrant>;
  /** Inserts or refreshes a replica row. */
  heartbeatReplica(rec: ReplicaRecord): Promise<void>;
  removeReplica(id: string): Promise<void>;
  /** Deletes replicas whose last heartbeat is older than `beforeMs`; returns how many. */
  pruneReplicas(beforeMs: number): Promise<number>;
  listReplicas(): Promise<ReplicaRecord[]>;
  /** Every lease row (expired ones included: `expiresMs` tells). */
  listLeases(): Promise<LeaseRecord[]>;
  /**
   * Extends the claim on outbox rows `workerId` still holds in flight until `untilMs` (a delivery round that outlives
   * its lease, e.g. a replica's share of a shared budget is small, keeps its rows); returns how many were extended.
   */
  renewOutboxClaims(workerId: string, ids: number[], untilMs: number): Promise<number>;
}

const EPS = 1e-9;

/** The bucket arithmetic: refill since the last spend, roll the window, apply observations and pauses, then spend. */
export function spendBudget(prev: BudgetRow | undefined, req: BudgetSpend, nowMs: number): { row: BudgetRow; grant: BudgetGrant } {
  if (!(req.ratePerSecond > 0) || !Number.isFinite(req.ratePerSecond)) throw new RangeError(`budget ${req.name}: ratePerSecond must be finite and > 0`);
  const burst = Math.max(1, req.burst);
  const row: BudgetRow = prev ? { ...prev } : { tokens: burst, updatedMs: nowMs, pausedUntilMs: 0, windowStartMs: null, windowUsed: 0, used: 0 };
  const elapsed = Math.max(0, nowMs - row.updatedMs);
  row.tokens = Math.min(burst, row.tokens + (elapsed * req.ratePerSecond) / 1000);
  row.updatedMs = Math.max(row.updatedMs, nowMs);

  const windowMs = req.windowMs ?? 3_600_000;
  const windowed = req.perWindow !== undefined;
  if (windowed && row.windowStartMs !== null && nowMs >= row.windowStartMs + windowMs) {
    row.windowStartMs += Math.floor((nowMs - row.windowStartMs) / windowMs) * windowMs;
    row.windowUsed = 0;
  }
  const o = req.observed;
  if (o?.tokensAtMost !== undefined) row.tokens = Math.min(row.tokens, Math.max(0, o.tokensAtMost));
  if (windowed && o?.windowUsed !== undefined) {
    if (o.windowEndsInMs !== undefined) {
      const start = nowMs + o.windowEndsInMs - windowMs;
      // The vendor moved to a later window: its count restarts. Otherwise never lower ours (others' calls in flight).
      const later = row.windowStartMs === null || start > row.windowStartMs + 1_000;
      row.windowUsed = later ? o.windowUsed : Math.max(row.windowUsed, o.windowUsed);
      row.windowStartMs = start;
    } else {
      row.windowUsed = Math.max(row.windowUsed, o.windowUsed);
    }
  }
  if (req.pauseMs !== undefined && req.pauseMs > 0) row.pausedUntilMs = Math.max(row.pausedUntilMs, nowMs + req.pauseMs);

  const paused = row.pausedUntilMs > nowMs;
  const windowLeft = windowed ? Math.max(0, req.perWindow! - row.windowUsed) : Number.POSITIVE_INFINITY;
  const ahead = (Math.max(0, req.horizonMs ?? 0) * req.ratePerSecond) / 1000;
  const n = paused ? 0 : Math.max(0, Math.min(Math.floor(req.want), Math.floor(row.tokens + ahead + EPS), windowLeft));
  if (n > 0) {
    row.tokens -= n;
    row.used += n;
    if (windowed) {
      row.windowStartMs ??= nowMs;
      row.windowUsed += n;
    }
  }
  let waitMs = paused ? row.pausedUntilMs - nowMs : 0;
  if (row.tokens + EPS < 1) waitMs = Math.max(waitMs, Math.ceil(((1 - row.tokens) / req.ratePerSecond) * 1000));
  if (windowed && row.windowUsed >= req.perWindow!) waitMs = Math.max(waitMs, (row.windowStartMs ?? nowMs) + windowMs - nowMs, 1);
  return {
    row,
    grant: {
      granted: n, tokens: row.tokens, waitMs, pausedUntilMs: row.pausedUntilMs, nowMs,
      windowUsed: windowed ? row.windowUsed : null,
      windowEndsInMs: windowed ? Math.max(0, (row.windowStartMs ?? nowMs) + windowMs - nowMs) : null,
    },
  };
}

/** Real ms from the spend until the k-th (1-based) granted token has refilled (0 when it was in the bucket). */
export function readyInMs(grant: Pick<BudgetGrant, 'granted' | 'tokens'>, k: number, ratePerSecond: number): number {
  const before = grant.tokens + grant.granted;
  return Math.max(0, Math.ceil(((k - before) / ratePerSecond) * 1000));
}

export interface BudgetCols { tokens: number; updated_ms: number; paused_until_ms: number; window_start_ms: number | null; window_used: number; used: number }
export const toBudgetRow = (r: BudgetCols): BudgetRow => ({
  tokens: Number(r.tokens), updatedMs: Number(r.updated_ms), pausedUntilMs: Number(r.paused_until_ms),
  windowStartMs: r.window_start_ms == null ? null : Number(r.window_start_ms), windowUsed: Number(r.window_used), used: Number(r.used),
});
export const budgetParams = (name: string, r: BudgetRow): unknown[] => [name, r.tokens, r.updatedMs, r.pausedUntilMs, r.windowStartMs, r.windowUsed, r.used];

export interface ReplicaCols { id: string; host: string; pid: number; role: string; started_at: string; heartbeat_ms: number; info: string }
export const toReplica = (r: ReplicaCols): ReplicaRecord => ({
  id: r.id, host: r.host, pid: Number(r.pid), role: r.role, startedAt: r.started_at, heartbeatMs: Number(r.heartbeat_ms),
  info: JSON.parse(r.info) as Record<string, unknown>,
});

export interface LeaseCols { name: string; holder: string; expires_ms: number; acquired_at: string }
export const toLease = (r: LeaseCols): LeaseRecord => ({ name: r.name, holder: r.holder, expiresMs: Number(r.expires_ms), acquiredAt: r.acquired_at });
