/**
 * The arithmetic every metric uses, with the definitions the generator's ground truth uses
 * (src/emulators/generator/metrics.ts; re-stated here, never imported):
 * - percentiles are nearest-rank: sort ascending, take the value at rank ceil(p/100 · n) (1-based); null when n = 0;
 * - durations are kept in ms and reported in seconds with 1 decimal, half up (`secs1`), means included: secs1(mean of ms);
 * - means of scores are Math.round(sum · 10 / n) / 10;
 * - days are UTC calendar days (`YYYY-MM-DD`), hours UTC (`YYYY-MM-DDTHH:00Z`).
 */
import { secs1 } from '../engine/derive/numbers.js';

export { secs1 };

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const isoHour = (ms: number): string => `${new Date(ms).toISOString().slice(0, 13)}:00Z`;
export const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * Every period start from the first to the last of `starts` (ms), `stepMs` apart (empty when there are none): the axis
 * of a day or hour series, so a period without data is a row of its own rather than missing from the series.
 */
export function periodRange(starts: Iterable<number>, stepMs: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of starts) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  const out: number[] = [];
  for (let t = lo; t <= hi; t += stepMs) out.push(t);
  return out;
}

/** Nearest-rank percentile of an ascending list; null when empty. `p` = 100 gives the maximum. */
export function nearestRank(sortedAsc: readonly number[], p: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAsc.length));
  return sortedAsc[Math.min(rank, sortedAsc.length) - 1] ?? null;
}

const asc = (a: number, b: number): number => a - b;

/** Wait/handle statistics of a list of durations in ms (the list is sorted in place). */
export interface DurationStats {
  avg: number | null;
  p50: number | null;
  p90: number | null;
  max: number | null;
}

export function durationStats(ms: number[]): DurationStats {
  if (ms.length === 0) return { avg: null, p50: null, p90: null, max: null };
  ms.sort(asc);
  const s = (v: number | null): number | null => (v === null ? null : secs1(v));
  return { avg: secs1(sum(ms) / ms.length), p50: s(nearestRank(ms, 50)), p90: s(nearestRank(ms, 90)), max: s(nearestRank(ms, 100)) };
}

/** secs1 of the mean of durations in ms; null when empty. */
export const meanSecs = (ms: readonly number[]): number | null => (ms.length === 0 ? null : secs1(sum(ms) / ms.length));

/** Mean of scores, 1 decimal, as the ground truth rounds it: Math.round(sum · 10 / n) / 10. */
export const meanScore = (total: number, n: number): number | null => (n === 0 ? null : Math.round((total * 10) / n) / 10);

/** Percentage with 1 decimal; null when the denominator is 0. */
export const pct = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((part * 1000) / whole) / 10);

export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Get-or-create in a Map. */
export function upsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** Locale-independent string order (the truth's `localeCompare` on ASCII names/days agrees with it for sorting keys). */
export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
