/**
 * Queue analytics from the store's queue groups (interactions per final queue, channel and day/hour of created_at).
 * Definitions (same as the ground truth):
 * - entered = interactions; answered = with an accepted reservation (answered_at set), whatever the outcome;
 *   abandoned = outcome `abandoned` (canceled while queued) whose cancel reason is not a timeout: the customer left;
 *   timed_out = outcome `abandoned` that TaskRouter canceled because it timed out (TTL exceeded, workflow timeout, no worker accepted it;
 *   store/cancelReason.ts); a capacity or routing failure, not the customer's decision, so not in abandon_rate;
 * - waits (answered_at − created_at) of answered interactions give wait_avg / p50 / p90 / max (nearest rank);
 * - answered_within_sl = answered with wait ≤ service_level_seconds; service_level = answered_within_sl / answered;
 *   abandon_rate = abandoned / entered (customer abandonments only).
 */
import type { Channel } from '../config/defaults.js';
import type { QueueGroup } from '../store/analytics.js';
import { byString, DAY_MS, dayStart, durationStats, HOUR_MS, isoDay, isoHour, meanScore, pct, periodRange, secs1, upsert } from './stats.js';
import type { Granularity, QueueRow, QueueTotal, Summary, TimelineRow, WaitBucket } from './types.js';

/** Several groups merged. */
export class QueueAcc {
  entered = 0;
  answered = 0;
  abandoned = 0;
  timedOut = 0;
  handled = 0;
  handleSumMs = 0;
  csatCount = 0;
  csatSum = 0;
  readonly waits: number[] = [];

  add(g: QueueGroup): this {
    this.entered += g.entered;
    this.answered += g.answered;
    this.abandoned += g.abandoned;
    this.timedOut += g.timedOut;
    this.handled += g.handled;
    this.handleSumMs += g.handleSumMs;
    this.csatCount += g.csatCount;
    this.csatSum += g.csatSum;
    for (const w of g.waitsMs) this.waits.push(w);
    return this;
  }

  /** Counters and wait statistics (sorts `waits`). */
  result(slSeconds: number) {
    const w = durationStats(this.waits);
    const slMs = slSeconds * 1000;
    let within = 0;
    for (const x of this.waits) if (x <= slMs) within++;
    return {
      entered: this.entered,
      answered: this.answered,
      abandoned: this.abandoned,
      wait_p50: w.p50,
      wait_p90: w.p90,
      wait_max: w.max,
      answered_within_sl: within,
      wait_avg: w.avg,
      abandon_rate: pct(this.abandoned, this.entered),
      service_level: pct(within, this.answered),
      // last, so the CSV columns before it keep their order
      timed_out: this.timedOut,
    };
  }

  handleAvg(): number | null {
    return this.handled === 0 ? null : secs1(this.handleSumMs / this.handled);
  }

  csatAvg(): number | null {
    return meanScore(this.csatSum, this.csatCount);
  }
}

const sidOf = (g: QueueGroup): string => g.queueSid ?? '';
/** The row of interactions no queue was known for (a plugin post or SDK event without one): named, not blank. */
export const NO_QUEUE_NAME = '(no queue)';
const nameOf = (n: ReadonlyMap<string, string>, sid: string): string => n.get(sid) ?? (sid || NO_QUEUE_NAME);
const channelOf = (g: QueueGroup): Channel => (g.channel ?? 'unknown') as Channel;

function names(groups: readonly QueueGroup[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of groups) if (g.queueName) out.set(sidOf(g), g.queueName);
  return out;
}

/** One row per group (the store already grouped by queue, channel and period). */
export function queueRows(groups: readonly QueueGroup[], slSeconds: number, by: Granularity = 'day'): QueueRow[] {
  const n = names(groups);
  const rows: QueueRow[] = groups.map((g) => ({
    queue_sid: sidOf(g),
    queue_name: nameOf(n, sidOf(g)),
    day: isoDay(g.periodMs),
    ...(by === 'hour' ? { hour: isoHour(g.periodMs) } : {}),
    channel: channelOf(g),
    ...new QueueAcc().add(g).result(slSeconds),
  }));
  return rows.sort((a, b) => byString(a.hour ?? a.day, b.hour ?? b.day) || byString(a.queue_name, b.queue_name) || byString(a.channel, b.channel));
}

export function queueTotals(groups: readonly QueueGroup[], slSeconds: number): QueueTotal[] {
  const n = names(groups);
  const queues = new Map<string, { acc: QueueAcc; channels: Map<Channel, number>; days: Map<number, QueueAcc> }>();
  // one daily axis for every queue (days without interactions included), so their sparklines line up
  const days = periodRange(groups.map((g) => dayStart(g.periodMs)), DAY_MS);
  for (const g of groups) {
    const q = upsert(queues, sidOf(g), () => ({ acc: new QueueAcc(), channels: new Map(), days: new Map() }));
    q.acc.add(g);
    q.channels.set(channelOf(g), (q.channels.get(channelOf(g)) ?? 0) + g.entered);
    upsert(q.days, dayStart(g.periodMs), () => new QueueAcc()).add(g);
  }
  const out: QueueTotal[] = [...queues.entries()].map(([sid, q]) => ({
    queue_sid: sid,
    queue_name: nameOf(n, sid),
    ...q.acc.result(slSeconds),
    by_channel: Object.fromEntries([...q.channels.entries()].sort((a, b) => byString(a[0], b[0]))),
    daily: days.map((day) => {
      const r = (q.days.get(day) ?? new QueueAcc()).result(slSeconds);
      return { day: isoDay(day), entered: r.entered, abandoned: r.abandoned, timed_out: r.timed_out, service_level: r.service_level, wait_p50: r.wait_p50 };
    }),
  }));
  return out.sort((a, b) => b.entered - a.entered || byString(a.queue_name, b.queue_name));
}

/** All queues together per period (the dashboard's abandonment and service-level charts); periods without interactions are rows of zeros. */
export function timeline(groups: readonly QueueGroup[], slSeconds: number, by: Granularity = 'day'): TimelineRow[] {
  const periods = new Map<number, QueueAcc>();
  for (const g of groups) upsert(periods, g.periodMs, () => new QueueAcc()).add(g);
  return periodRange(periods.keys(), by === 'hour' ? HOUR_MS : DAY_MS).map((ms) => {
    const r = (periods.get(ms) ?? new QueueAcc()).result(slSeconds);
    return {
      period: by === 'hour' ? isoHour(ms) : isoDay(ms), entered: r.entered, answered: r.answered, abandoned: r.abandoned, abandon_rate: r.abandon_rate,
      answered_within_sl: r.answered_within_sl, service_level: r.service_level, wait_p50: r.wait_p50, wait_p90: r.wait_p90, timed_out: r.timed_out,
    };
  });
}

/** Bucket edges (seconds) of the wait-time distribution. */
export const WAIT_EDGES = [0, 10, 20, 30, 45, 60, 90, 120, 180, 300] as const;

/** Answered waits per bucket [from, to) in seconds; the last bucket is open-ended (negative waits count in the first). */
export function waitHistogram(groups: readonly QueueGroup[]): WaitBucket[] {
  const buckets: WaitBucket[] = WAIT_EDGES.map((from, i) => ({ from, to: WAIT_EDGES[i + 1] ?? null, count: 0 }));
  for (const g of groups) {
    for (const ms of g.waitsMs) {
      let i = buckets.length - 1;
      while (i > 0 && ms < (buckets[i] as WaitBucket).from * 1000) i--;
      (buckets[i] as WaitBucket).count++;
    }
  }
  return buckets;
}

export function summarise(groups: readonly QueueGroup[], slSeconds: number): Omit<Summary, 'csat_count' | 'csat_avg'> {
  const acc = new QueueAcc();
  const agents = new Set<string>();
  for (const g of groups) {
    acc.add(g);
    for (const w of g.handledWorkers) agents.add(w);
  }
  const r = acc.result(slSeconds);
  return {
    interactions: r.entered, answered: r.answered, abandoned: r.abandoned, timed_out: r.timed_out, abandon_rate: r.abandon_rate,
    answered_within_sl: r.answered_within_sl, service_level: r.service_level,
    wait_avg: r.wait_avg, wait_p50: r.wait_p50, wait_p90: r.wait_p90, wait_max: r.wait_max,
    tasks_handled: acc.handled, avg_handle: acc.handleAvg(), agents: agents.size, queues: new Set(groups.map(sidOf)).size,
  };
}
