import { InvalidArgumentError } from 'commander';
import { isoMs } from '../core/instant.js';

/** `a,b c` → ['a','b','c'], each checked against `allowed`. */
export function csvOf<T extends string>(allowed: readonly T[]) {
  return (value: string, previous: T[] | undefined): T[] => {
    const items = value.split(/[,\s]+/).filter(Boolean);
    if (!items.length) throw new InvalidArgumentError(`give at least one of ${allowed.join(', ')}`);
    for (const i of items) if (!allowed.includes(i as T)) throw new InvalidArgumentError(`"${i}" is not one of ${allowed.join(', ')}`);
    return [...(previous ?? []), ...(items as T[])];
  };
}

export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer between ${min} and ${max}`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/**
 * ISO 8601 as Tajo takes it: a date, or a date-time with an optional zone (Date.parse alone also takes "tomorrow 5"),
 * given back as a UTC instant (`toISOString`). Without a zone it is UTC, never this machine's zone (as `tajo report`).
 */
export function isoDate(value: string): string {
  const ms = isoMs(value.trim());
  if (ms === undefined || Math.abs(ms) > 8.64e15) throw new InvalidArgumentError('must be an ISO 8601 date or date-time, UTC unless it has a zone (e.g. 2024-01-01 or 2024-01-01T09:00:00Z)');
  return new Date(ms).toISOString();
}

/** An absolute http(s) URL. */
export function httpUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError('must be an absolute http(s) URL (e.g. https://api.brevo.com/v3)');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError('must be an http(s) URL');
  return value.trim();
}
