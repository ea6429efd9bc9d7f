/** `--since` / `--until` (CLI) and `since` / `until` (dashboard API): ISO dates, date-times, epoch ms, or "7d"/"12h"/"30m" ago. */
import { TajoError } from '../core/errors.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `YYYY-MM-DD`, optionally with `[T ]HH:MM[:SS[.fff]]` and a zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`); no zone = UTC. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
/** The range of a JavaScript Date (ms from the epoch either way). */
const MAX_DATE_MS = 8_640_000_000_000_000;

/**
 * Epoch ms of an ISO date or date-time (no zone = UTC, never the machine's zone); undefined when not a real one. The one
 * rule for every date a user gives (CLI options, SDK arguments, dashboard API): an explicit `Z` or offset wins.
 */
export function isoMs(v: string): number | undefined {
  const m = ISO.exec(v);
  if (!m) return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  const [y, mo, d, h, mi, s] = [n(1), n(2) - 1, n(3), n(4), n(5), n(6)];
  const t = new Date(Date.UTC(2000, mo, d, h, mi, s, Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))));
  t.setUTCFullYear(y);
  // refuses 2026-02-30, 24:30, second 61 instead of rolling them over
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo || t.getUTCDate() !== d || t.getUTCHours() !== h || t.getUTCMinutes() !== mi || t.getUTCSeconds() !== s) return undefined;
  const zone = m[8];
  if (!zone || zone.toUpperCase() === 'Z') return t.getTime();
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  const offsetMin = Number(z?.[2] ?? 0) * 60 + Number(z?.[3] ?? 0);
  if (!z || offsetMin > 18 * 60) return undefined;
  return t.getTime() - (z[1] === '-' ? -1 : 1) * offsetMin * 60_000;
}

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
