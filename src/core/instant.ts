/**
 * Instants a user gives (CLI options, SDK arguments, dashboard API, an SDK `completedAt`): one rule everywhere. ISO 8601
 * dates and date-times, read as UTC when they carry no zone (never the machine's zone: `Date.parse` would read a
 * zone-less date-time as local time), an explicit `Z` or offset winning; or epoch milliseconds.
 */

/** `YYYY-MM-DD`, optionally with `[T ]HH:MM[:SS[.fff]]` and a zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`); no zone = UTC. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
/** The range of a JavaScript Date (ms from the epoch either way). */
export const MAX_DATE_MS = 8_640_000_000_000_000;

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

/** Epoch ms of an instant given as epoch ms (a number or a string of digits) or as ISO (see `isoMs`); undefined otherwise. */
export function instantMs(v: string | number): number | undefined {
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : isoMs(v);
  return n !== undefined && Number.isFinite(n) && Math.abs(n) <= MAX_DATE_MS ? n : undefined;
}
