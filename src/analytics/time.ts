/** `--since` / `--until` (CLI) and `since` / `until` (dashboard API): ISO dates, date-times, epoch ms, or "7d"/"12h"/"30m" ago. */
import { TajoError } from '../core/errors.js';
import { isoMs, MAX_DATE_MS } from '../core/instant.js';

export { isoMs };

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Epoch ms of a time argument; `YYYY-MM-DD` is UTC midnight, a date-time without a zone is UTC; relative durations
 * count back from `nowMs`. Anything else (and a time no date can hold) is TAJO_USAGE: Date.parse would guess.
 */
export function parseTime(value: string, nowMs: number, name = 'time'): number {
  const v = value.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([mhdw])$/i.exec(v);
  const ms = rel
    ? Math.round(nowMs - Number(rel[1]) * (UNITS[(rel[2] as string).toLowerCase()] as number))
    : /^\d{10,}$/.test(v) ? Number(v) : isoMs(v);
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw new TajoError('TAJO_USAGE', `${name} is not a time: ${JSON.stringify(value)}`, { hint: 'use an ISO date (2026-11-01), a date-time (UTC unless it has an offset), epoch ms or a duration ago (7d, 12h, 30m)' });
  }
  return ms;
}

export interface TimeRange {
  sinceMs?: number;
  untilMs?: number;
}

export function parseRange(since: string | undefined, until: string | undefined, nowMs: number): TimeRange {
  const r: TimeRange = {};
  if (since !== undefined && since !== '') r.sinceMs = parseTime(since, nowMs, 'since');
  if (until !== undefined && until !== '') r.untilMs = parseTime(until, nowMs, 'until');
  if (r.sinceMs !== undefined && r.untilMs !== undefined && r.sinceMs >= r.untilMs) {
    throw new TajoError('TAJO_USAGE', 'since must be before until');
  }
  return r;
}
