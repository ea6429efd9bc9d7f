/**
 * Deterministic identifiers and random streams for the generator.
 *
 * SIDs are counter based: `prefix + 32 hex` where the first 8 hex digits are a bijective mix of (counter, seed,
 * prefix). Distinct counters therefore give distinct SIDs (no birthday risk), and a later `generateMore` batch
 * continues the counters stored in the database, so every SID in a world is unique and reproducible.
 */
import { mulberry32 } from '../common/random.js';

/** murmur3 finaliser: a bijection on 32-bit integers. */
export function fmix32(input: number): number {
  let h = input >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a string, finalised; combined with `seed`. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

export class SidFactory {
  private readonly counters: Record<string, number>;
  private readonly salts = new Map<string, number>();

  constructor(
    private readonly seed: number,
    counters: Record<string, number> = {},
  ) {
    this.counters = { ...counters };
  }

  next(prefix: string): string {
    const n = this.counters[prefix] ?? 0;
    this.counters[prefix] = n + 1;
    let salt = this.salts.get(prefix);
    if (salt === undefined) {
      salt = hash32(prefix, this.seed);
      this.salts.set(prefix, salt);
    }
    const w0 = fmix32((n ^ salt) >>> 0);
    const w1 = fmix32((w0 + salt) >>> 0);
    const w2 = fmix32((w1 ^ 0x9e3779b9) >>> 0);
    const w3 = fmix32((w2 + n + 0x7f4a7c15) >>> 0);
    return prefix + hex8(w0) + hex8(w1) + hex8(w2) + hex8(w3);
  }

  snapshot(): Record<string, number> {
    return { ...this.counters };
  }
}

/** All generated times are multiples of this (see truth.ts: single durations then round to 1 decimal exactly). */
export const TICK_MS = 100;
export const tick = (ms: number): number => Math.round(ms / TICK_MS) * TICK_MS;

/** A seeded random stream with the helpers the generator needs. */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  static derive(seed: number, label: string, index = 0): Rng {
    return new Rng(fmix32((hash32(label, seed) ^ fmix32(index + 0x51ed27)) >>> 0));
  }

  float(): number {
    return this.next();
  }

  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    const last = entries[entries.length - 1];
    if (last === undefined) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  normal(mean: number, sd: number): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal duration in ms with the given median, clamped, on the TICK_MS grid. */
  durationMs(medianMs: number, sigma: number, minMs: number, maxMs: number): number {
    const v = medianMs * Math.exp(this.normal(0, sigma));
    return tick(Math.min(maxMs, Math.max(minMs, v)));
  }

  hex(len: number): string {
    let s = '';
    while (s.length < len) s += hex8(Math.floor(this.next() * 0x100000000));
    return s.slice(0, len);
  }

  alnum(len: number): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < len; i++) s += chars[Math.floor(this.next() * chars.length)];
    return s;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = items[i] as T;
      items[i] = items[j] as T;
      items[j] = a;
    }
    return items;
  }
}
