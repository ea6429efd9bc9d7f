/**
 * Sync health for the dashboard: per-stream cursor and lag, outbox backlog, dead letters with reasons, rate-budget
 * use over time (sampled while the server runs), last errors. Read-only; secrets never appear (payloads are not sent).
 */
import { maskPiiInText } from '../core/maskText.js';
import type { BudgetSnapshot } from '../engine/budget.js';
import type { Store } from '../store/store.js';
import type { DeadLetter } from '../store/types.js';
import type { BudgetSample, SyncHealth } from './types.js';

export type { BudgetSample, StreamHealth, SyncHealth } from './types.js';

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

/** Open dead letters per page of the store's listing (in id order). */
const PAGE = 1000;

/** Every open dead letter, page by page: the newest 10, and per (source, reason) the latest with an error and how many are open. */
async function openLetters(store: Store): Promise<{ recent: DeadLetter[]; latest: Map<string, DeadLetter>; counts: Map<string, number> }> {
  let recent: DeadLetter[] = [];
  const latest = new Map<string, DeadLetter>();
  const counts = new Map<string, number>();
  for (let afterId = 0; ;) {
    const page = await store.listDeadLetters({ status: 'open', limit: PAGE, afterId });
    for (const d of page) {
      const key = `${d.source}|${d.reason}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (d.error) latest.set(key, d);
    }
    recent = [...recent, ...page].slice(-10);
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) break;
    afterId = last.id;
  }
  return { recent: recent.reverse(), latest, counts };
}

/**
 * `nowMs` is this machine's clock: outbox ages and budget pauses are real waits. Cursor lag is measured on the vendors'
 * clock (`vendorNowMs`, default `nowMs`), the one the sync reads up to: a cursor holds a time of the synced world, which
 * for a connector installed with --emulator is the emulator's own (shifted, time-scaled) clock (src/analytics/clock.ts).
 */
export async function syncHealth(store: Store, connectorId: string, nowMs: number, budgets?: BudgetHistory, vendorNowMs: number = nowMs): Promise<SyncHealth> {
  const [connector, checkpoints, outbox, byReason, { recent, latest, counts }] = await Promise.all([
    store.getConnector(connectorId),
    store.listCheckpoints(connectorId),
    store.outboxStats(),
    store.deadLetterCounts(),
    openLetters(store),
  ]);
  const lastErrors: SyncHealth['last_errors'] = [];
  if (connector?.lastError) lastErrors.push({ at: connector.lastError.at, source: 'sync', code: connector.lastError.code, message: connector.lastError.message, count: 1 });
  // one line per (source, reason): the latest letter's error, with how many are open
  for (const [key, d] of latest) {
    lastErrors.push({ at: d.createdAt, source: d.source, code: d.reason, message: maskPiiInText((d.error ?? '').slice(0, 300)), count: counts.get(key) ?? 0 });
  }
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
      return { stream: c.stream, partition: c.partition, cursor: short(c.value), position_ms: pos, lag_seconds: pos === null ? null : Math.max(0, Math.round((vendorNowMs - pos) / 1000)), updated_at: c.updatedAt };
    }).sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0)),
    outbox: {
      pending: outbox.pending, inflight: outbox.inflight, delivered: outbox.delivered, dead: outbox.dead,
      oldest_pending_age_seconds: outbox.oldestPendingMs === null ? null : Math.max(0, Math.round((nowMs - outbox.oldestPendingMs) / 1000)),
      by_kind: { ...outbox.byKind },
    },
    dead_letters: {
      open: Object.values(byReason).reduce((a, b) => a + b, 0),
      by_reason: byReason,
      // a browser view: the person a letter is about is masked (`tajo dlq show` has the whole record)
      recent: recent.map((d) => ({ id: d.id, source: d.source, reason: d.reason, record_key: maskPiiInText(d.recordKey), error: d.error === undefined ? null : maskPiiInText(d.error), created_at: d.createdAt })),
    },
    budgets: {
      current: (budgets?.current() ?? []).map((b) => ({ name: b.name, rate_per_second: b.ratePerSecond, used: b.used, throttled: b.throttled, pauses: b.pauses, paused: (b.pausedUntil ?? 0) > nowMs })),
      history: budgets?.history() ?? [],
    },
    last_errors: lastErrors.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, 10),
  };
}
