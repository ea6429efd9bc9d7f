/** Seconds and averages are reported with 1 decimal (docs/SEMANTICS.md §1), half up (Math.round). */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Seconds with 1 decimal from a duration (or mean duration) in milliseconds: `Math.round(ms / 100) / 10`. Working in
 * ms keeps the rounding exact (TaskRouter times are integer ms), the same formula the ground truth uses.
 */
export function secs1(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** Number or numeric string → number; anything else → undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
