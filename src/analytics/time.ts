/** `--since` / `--until` (CLI) and `since` / `until` (dashboard API): ISO dates, date-times, epoch ms, or "7d"/"12h"/"30m" ago. */
import { TajoError } from '../core/errors.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Epoch ms of a time argument; `YYYY-MM-DD` is UTC midnight; relative durations count back from `nowMs`. */
export function parseTime(value: string, nowMs: number, name = 'time'): number {
  const v = value.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([mhdw])$/i.exec(v);
  if (rel) return Math.round(nowMs - Number(rel[1]) * (UNITS[(rel[2] as string).toLowerCase()] as number));
  if (/^\d{10,}$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
  if (!Number.isFinite(ms)) {
    throw new TajoError('TAJO_USAGE', `${name} is not a time: ${JSON.stringify(value)}`, { hint: 'use an ISO date (2026-11-01), a date-time, epoch ms or a duration ago (7d, 12h, 30m)' });
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
