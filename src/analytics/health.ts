/**
 * Sync health for the dashboard: per-stream cursor and lag, outbox backlog, dead letters with reasons, rate-budget
 * use over time (sampled while the server runs), last errors. Read-only; secrets never appear (payloads are not sent).
 */
import type { BudgetSnapshot } from '../engine/budget.js';
import type { Store } from '../store/store.js';

export interface StreamHealth {
  stream: string;
  partition: string;
  /** The cursor, shortened for display. */
  cursor: string;
  /** The time the stream has synced up to (ms), when its cursor says. */
  position_ms: number | null;
  lag_seconds: number | null;
  updated_at: string;
}

export interface BudgetSample {
  at: string;
  /** Per budget: requests acquired since the previous sample, per second. */
  rates: Record<string, number>;
  /** Per budget: share of its documented rate in use (0..100). */
  use_pct: Record<string, number>;
}

export interface SyncHealth {
  generated_at: string;
  connector: { id: string; installed: boolean; status: string | null; status_reason: string | null; last_sync_at: string | null; last_error: { code: string; message: string; at: string } | null };
  streams: StreamHealth[];
  outbox: { pending: number; inflight: number; delivered: number; dead: number; oldest_pending_age_seconds: number | null; by_kind: Record<string, number> };
  dead_letters: { open: number; by_reason: Record<string, number>; recent: Array<{ id: number; source: string; reason: string; record_key: string; error: string | null; created_at: string }> };
  budgets: { current: Array<{ name: string; rate_per_second: number; used: number; throttled: number; pauses: number; paused: boolean }>; history: BudgetSample[] };
  last_errors: Array<{ at: string; source: string; code: string; message: string }>;
}

/** Known time fields of stream cursors (taskrouter_events: windowEndMs; conversations: refreshedThroughMs; reference: refreshedAtMs). */
const POSITION_KEYS = ['windowEndMs', 'refreshedThroughMs', 'refreshedAtMs', 'syncedThroughMs', 'untilMs'];

export function cursorPosition(value: unknown): number | null {
  if (value === null || typeof value !== 'object') return null;
  const o = value as Record<string, unknown>;
  for (const k of POSITION_KEYS) if (typeof o[k] === 'number' && Number.isFinite(o[k])) return o[k] as number;
  return null;
}

const short = (v: unknown): string => {
  const t = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
};

/** Keeps a rolling history of budget use (one sample per `sample()` call, the last `max`). */
export class BudgetHistory {
  private readonly samples: BudgetSample[] = [];
  private last: { at: number; used: Map<string, number> } | undefined;

  constructor(private readonly read: () => BudgetSnapshot[], private readonly max = 360) {}

  sample(nowMs: number): void {
    const snaps = this.read();
    const used = new Map(snaps.map((s) => [s.name, s.used]));
    if (this.last && nowMs > this.last.at) {
      const secs = (nowMs - this.last.at) / 1000;
      const rates: Record<string, number> = {};
      const use: Record<string, number> = {};
      for (const s of snaps) {
        const rate = Math.max(0, s.used - (this.last.used.get(s.name) ?? s.used)) / secs;
        rates[s.name] = Math.round(rate * 100) / 100;
        use[s.name] = s.ratePerSecond > 0 ? Math.min(100, Math.round((rate / s.ratePerSecond) * 1000) / 10) : 0;
      }
      this.samples.push({ at: new Date(nowMs).toISOString(), rates, use_pct: use });
      if (this.samples.length > this.max) this.samples.splice(0, this.samples.length - this.max);
    }
    this.last = { at: nowMs, used };
  }

  current(): BudgetSnapshot[] {
    return this.read();
  }

  history(): BudgetSample[] {
    return [...this.samples];
  }
}

export async function syncHealth(store: Store, connectorId: string, nowMs: number, budgets?: BudgetHistory): Promise<SyncHealth> {
  const [connector, checkpoints, outbox, byReason, open] = await Promise.all([
    store.getConnector(connectorId),
    store.listCheckpoints(connectorId),
    store.outboxStats(),
    store.deadLetterCounts(),
    store.listDeadLetters({ status: 'open', limit: 1000 }),
  ]);
  const recent = open.slice(-10).reverse();
  const lastErrors: SyncHealth['last_errors'] = [];
  if (connector?.lastError) lastErrors.push({ at: connector.lastError.at, source: 'sync', code: connector.lastError.code, message: connector.lastError.message });
  for (const d of recent) if (d.error) lastErrors.push({ at: d.createdAt, source: d.source, code: d.reason, message: d.error.slice(0, 300) });
  return {
    generated_at: new Date(nowMs).toISOString(),
    connector: {
      id: connectorId,
      installed: connector !== undefined,
      status: connector?.status ?? null,
      status_reason: connector?.statusReason ?? null,
      last_sync_at: connector?.lastSyncAt ?? null,
      last_error: connector?.lastError ?? null,
    },
    streams: checkpoints.map((c) => {
      const pos = cursorPosition(c.value);
      return { stream: c.stream, partition: c.partition, cursor: short(c.value), position_ms: pos, lag_seconds: pos === null ? null : Math.max(0, Math.round((nowMs - pos) / 1000)), updated_at: c.updatedAt };
    }).sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0)),
    outbox: {
      pending: outbox.pending, inflight: outbox.inflight, delivered: outbox.delivered, dead: outbox.dead,
      oldest_pending_age_seconds: outbox.oldestPendingMs === null ? null : Math.max(0, Math.round((nowMs - outbox.oldestPendingMs) / 1000)),
      by_kind: { ...outbox.byKind },
    },
    dead_letters: {
      open: Object.values(byReason).reduce((a, b) => a + b, 0),
      by_reason: byReason,
      recent: recent.map((d) => ({ id: d.id, source: d.source, reason: d.reason, record_key: d.recordKey, error: d.error ?? null, created_at: d.createdAt })),
    },
    budgets: {
      current: (budgets?.current() ?? []).map((b) => ({ name: b.name, rate_per_second: b.ratePerSecond, used: b.used, throttled: b.throttled, pauses: b.pauses, paused: (b.pausedUntil ?? 0) > nowMs })),
      history: budgets?.history() ?? [],
    },
    last_errors: lastErrors.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, 10),
  };
}
