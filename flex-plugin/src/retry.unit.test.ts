import { describe, expect, it } from 'vitest';
import { isRetryableStatus, retryAfterMs, retryDelays } from './retry';

describe('retryDelays', () => {
  it('has attempts-1 delays, doubling ceilings capped at max', () => {
    expect(retryDelays(6, 100, 1000, () => 1)).toEqual([100, 200, 400, 800, 1000]);
    expect(retryDelays(1, 100, 1000)).toEqual([]);
  });

  it('jitters within [ceiling/2, ceiling]', () => {
    expect(retryDelays(4, 100, 1000, () => 0)).toEqual([50, 100, 200]);
    for (const d of retryDelays(8, 100, 1000).map((d, i) => [d, Math.min(1000, 100 * 2 ** i)] as const)) {
      expect(d[0]).toBeGreaterThanOrEqual(d[1] / 2);
      expect(d[0]).toBeLessThanOrEqual(d[1]);
    }
  });
});

describe('isRetryableStatus', () => {
  it('retries 5xx, 429 and 408 (the server timed out receiving the body) only', () => {
    expect([500, 502, 503, 504, 429, 408].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 413, 415, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
