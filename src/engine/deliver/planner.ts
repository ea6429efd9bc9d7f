/**
 * Pure delivery planners: given what is pending and what the rate budgets can spend, pick the cheapest mix of
 * Brevo calls. No I/O; the worker feeds them `RateBudget.capacity()` numbers.
 */

export interface Capacity {
  /** Requests that can start now. */
  availableNow: number;
  /** Sustained requests per second after that. */
  sustainedPerSecond: number;
}

/** ms to run `calls` requests on a budget: free ones start at once, the rest at the sustained rate. */
export function timeForCalls(calls: number, c: Capacity): number {
  if (calls <= 0) return 0;
  const queued = calls - Math.max(0, Math.floor(c.availableNow));
  if (queued <= 0) return 0;
  if (!(c.sustainedPerSecond > 0)) return Number.POSITIVE_INFINITY;
  return Math.ceil((queued / c.sustainedPerSecond) * 1000);
}

// --- contacts -------------------------------------------------------------------------------------------

export interface ContactPlanInput {
  /** Contacts that may go in an import (no consent flags: import's blacklist switches apply to the whole file). */
  importable: number;
  /** Contacts that must be written one by one. */
  singlesOnly: number;
  /** The `/contacts/*` bucket (10 RPS). */
  contacts: Capacity;
  /** The catch-all bucket (100 per hour) that `GET /processes/{id}` polls draw from. */
  other: Capacity;
  /** Import from this many importable contacts up. Default 50. */
  threshold?: number;
  /** Polls an import is expected to need (first poll at the expected finish, one more if late). Default 2. */
  pollsPerImport?: number;
  /** Catch-all tokens kept free for other uses (account checks, event batches). Default 5. */
  otherReserve?: number;
  /** `notifyUrl` configured: completion is pushed, no polling. */
  notify?: boolean;
  /** Contacts per import call. Default 5,000 (keeps `jsonBody` far below the 8 MB recommendation). */
  maxPerImport?: number;
}

export interface ContactPlan {
  /** Number of `POST /contacts/import` calls and the contacts they carry. */
  importCalls: number;
  importContacts: number;
  /** One-by-one upserts (`POST /contacts` / `PUT /contacts/{ext_id}`). */
  singles: number;
  reason: string;
}

/**
 * Import versus one-by-one upserts. The arithmetic (General tier):
 * - One by one: N calls on the contacts bucket: N / 10 s and N of its 36,000 per hour. Results are per contact
 *   (duplicate-SMS rejections name their contact) and visible at once, so the contact's events may follow at once.
 * - Import: ⌈N / 5,000⌉ calls on the contacts bucket (0.1 s each) + ~2 `GET /processes/{id}` polls on the 100-per-hour
 *   catch-all (2 % of the hour each) + Brevo's async processing time, during which the contacts' events must
 *   wait (an event for a contact not yet created would create a bare contact).
 * - At N = 50 one by one occupies the whole contacts bucket for 5 s (live updates queue behind it); the import
 *   frees 49 of those 50 requests for the cost of ~2 hourly tokens. Below ~50 the saving (< 5 s) does not pay for
 *   the processing latency and the scarce hourly tokens; at 5,000 it is 500 s versus 0.1 s.
 * - The catch-all caps imports at ~100 / 2 = 50 per hour, so an import is chosen only while the catch-all has the
 *   polls plus a reserve free (or `notifyUrl` makes polling unnecessary); otherwise everything goes one by one.
 */
export function planContacts(i: ContactPlanInput): ContactPlan {
  const threshold = i.threshold ?? 50;
  const polls = i.pollsPerImport ?? 2;
  const reserve = i.otherReserve ?? 5;
  const maxPer = Math.max(1, i.maxPerImport ?? 5_000);
  const all = i.importable + i.singlesOnly;
  if (i.importable < threshold) {
    return { importCalls: 0, importContacts: 0, singles: all, reason: `${i.importable} importable < threshold ${threshold}: one by one` };
  }
  const calls = Math.ceil(i.importable / maxPer);
  const pollsNeeded = i.notify ? 0 : calls * polls;
  if (!i.notify && Math.floor(i.other.availableNow) < pollsNeeded + reserve) {
    return { importCalls: 0, importContacts: 0, singles: all, reason: `catch-all budget has ${Math.floor(i.other.availableNow)} < ${pollsNeeded + reserve} tokens for import polling: one by one` };
  }
  return {
    importCalls: calls,
    importContacts: i.importable,
    singles: i.singlesOnly,
    reason: `${i.importable} contacts in ${calls} import(s) (${calls} contacts calls + ${pollsNeeded} polls) instead of ${i.importable} upserts`,
  };
}

// --- events ---------------------------------------------------------------------------------------------

export interface EventPlanInput {
  count: number;
  /** `POST /events` (10 RPS). */
  single: Capacity;
  /** The budget `POST /events/batch` draws from (catch-all by default), net of tokens reserved for polling. */
  batch: Capacity;
  /** Events per batch call (≤ 200; fewer when 512 KB would be exceeded at the average event size). */
  perBatch?: number;
  /** Each batch call must save at least this much more time (over one batch fewer) to be worth a scarce token. Default 1,000 ms. */
  minSavingMs?: number;
}

export interface EventPlan {
  batchCalls: number;
  batchEvents: number;
  singleEvents: number;
  /** Estimated ms until all calls have started (both buckets run in parallel). */
  etaMs: number;
  reason: string;
}

/** Events per batch call given the average serialized size (200 items and 512 KB, whichever binds first). */
export function eventsPerBatch(avgEventBytes: number, maxCount = 200, maxBytes = 512 * 1024): number {
  const fit = Math.floor((maxBytes - 16) / (Math.max(1, avgEventBytes) + 1));
  return Math.max(1, Math.min(maxCount, fit));
}

/**
 * Batch versus single events: try splits — k batch calls carrying min(N, k·perBatch) events, the rest as single
 * calls on their own bucket, both running in parallel (eta = max(batch time, singles time)) — adding batch calls
 * while each one finishes at least `minSavingMs` sooner than one fewer (the catch-all tokens are the scarce ones).
 * With a small `minSavingMs` that is the split that finishes soonest; with a batch's worth of single calls (perBatch ÷
 * single rate) a token is spent only on events the single calls could not send in that time.
 * Example with defaults: 150 events, 10 singles free, catch-all free: singles take (150 − 10) / 10 = 14 s, one batch
 * 0 s → batch. 12 events: singles 0.2 s, saving < 1 s → singles. After the catch-all is spent (0 free, 1 per 36 s)
 * 400 events: 2 batches 72 s, all singles (400 − 10) / 10 = 39 s, 1 batch + 200 singles max(36 s, 19 s) = 36 s → the mix.
 * When the headers show `/events/batch` has a higher limit of its own, its capacity is larger and it wins more.
 */
export function planEvents(i: EventPlanInput): EventPlan {
  const per = Math.max(1, Math.min(200, i.perBatch ?? 200));
  const minSaving = i.minSavingMs ?? 1_000;
  const n = Math.max(0, i.count);
  const allSingles = timeForCalls(n, i.single);
  let best: EventPlan = { batchCalls: 0, batchEvents: 0, singleEvents: n, etaMs: allSingles, reason: 'singles' };
  const maxCalls = Math.ceil(n / per);
  for (let k = 1; k <= maxCalls; k++) {
    const inBatch = Math.min(n, k * per);
    // A token carries at least half a batch: tiny batches would spend the scarce budget on what singles do cheaply.
    if (inBatch - (k - 1) * per < per / 2) break;
    const eta = Math.max(timeForCalls(k, i.batch), timeForCalls(n - inBatch, i.single));
    if (best.etaMs - eta < minSaving) break;
    best = { batchCalls: k, batchEvents: inBatch, singleEvents: n - inBatch, etaMs: eta, reason: '' };
  }
  best.reason =
    best.batchCalls === 0
      ? `${n} events as singles (eta ${fmt(best.etaMs)}): batching would not save ${minSaving} ms`
      : `${best.batchEvents} events in ${best.batchCalls} batch call(s) + ${best.singleEvents} singles (eta ${fmt(best.etaMs)} vs ${fmt(allSingles)} all singles)`;
  return best;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '∞';
}

// --- backfill events --------------------------------------------------------------------------------------

export interface BackfillEventPlanInput {
  count: number;
  /** Events per batch call (≤ 200; fewer when 512 KB would be exceeded). */
  perBatch: number;
  /** Catch-all tokens the batches may spend now (net of the import reserve). */
  batchTokens: number;
  /** Events the single calls can send within the horizon (single rate × horizon): they go first. */
  singlesFirst: number;
}

/**
 * Backfill events (a sync's): the single-call budget is the one that sets the pace (it refills every second; an idle
 * second is lost for good), while the catch-all's batch tokens keep until the hour ends. So the singles take the first
 * `singlesFirst` events (keeping them busy until the next claim), and only what goes beyond that goes in FULL batches,
 * one token each — a half-empty batch spends a whole scarce token on what the singles would have sent anyway. The
 * rest are singles. Over a run every token is spent on 200 events and the single calls never wait for work.
 */
export function planBackfillEvents(i: BackfillEventPlanInput): EventPlan {
  const n = Math.max(0, Math.floor(i.count));
  const per = Math.max(1, Math.min(200, Math.floor(i.perBatch)));
  const beyond = Math.max(0, n - Math.max(0, Math.floor(i.singlesFirst)));
  const batchCalls = Math.max(0, Math.min(Math.floor(i.batchTokens), Math.floor(beyond / per)));
  const batchEvents = batchCalls * per;
  return {
    batchCalls,
    batchEvents,
    singleEvents: n - batchEvents,
    etaMs: Number.NaN,
    reason: batchCalls > 0 ? `${batchEvents} backfill events in ${batchCalls} full batch(es) + ${n - batchEvents} singles` : `${n} backfill events as singles`,
  };
}
