import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF_CAP_MS, MAX_HONOURED_WAIT_MS, decideRetry, parseRetryAfter, type RetryInput } from './retry.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const base = (o: Partial<RetryInput>): RetryInput => ({ vendor: 'brevo', method: 'POST', headers: {}, attempt: 1, maxAttempts: 5, nowMs: NOW, random: () => 0.5, ...o });

describe('decideRetry table', () => {
  const rows: [string, Partial<RetryInput>, { action: 'retry' | 'fail'; code?: string; waitMs?: number }][] = [
    ['twilio 401', { vendor: 'twilio', status: 401 }, { action: 'fail', code: 'TAJO_TWILIO_AUTH' }],
    ['brevo 401', { status: 401 }, { action: 'fail', code: 'TAJO_BREVO_AUTH' }],
    ['twilio 403', { vendor: 'twilio', status: 403 }, { action: 'fail', code: 'TAJO_TWILIO_FORBIDDEN' }],
    ['twilio 404', { vendor: 'twilio', status: 404 }, { action: 'fail', code: 'TAJO_TWILIO_NOT_FOUND' }],
    ['brevo 404', { status: 404 }, { action: 'fail', code: 'TAJO_BREVO_REJECTED' }],
    ['brevo 400', { status: 400 }, { action: 'fail', code: 'TAJO_BREVO_REJECTED' }],
    ['brevo 422', { status: 422 }, { action: 'fail', code: 'TAJO_BREVO_REJECTED' }],
    ['twilio 400', { vendor: 'twilio', status: 400 }, { action: 'fail', code: 'TAJO_TWILIO_BAD_RESPONSE' }],
    ['twilio 429 retry-after seconds', { vendor: 'twilio', status: 429, headers: { 'retry-after': '3' } }, { action: 'retry', waitMs: 3000 + 125 }],
    ['twilio 429 retry-after date', { vendor: 'twilio', status: 429, headers: { 'retry-after': new Date(NOW + 10_000).toUTCString() } }, { action: 'retry', waitMs: 10_000 + 125 }],
    ['brevo 429 x-sib-ratelimit-reset', { status: 429, headers: { 'x-sib-ratelimit-reset': '7' } }, { action: 'retry', waitMs: 7000 + 125 }],
    ['brevo 429 reset scaled by time-scale', { status: 429, headers: { 'x-sib-ratelimit-reset': '600' }, timeScale: 60 }, { action: 'retry', waitMs: 10_000 + 125 }],
    ['brevo 429 ignores X-RateLimit-Reset epoch (not Brevo)', { status: 429, headers: { 'x-ratelimit-reset': String(NOW / 1000 + 5) } }, { action: 'retry', waitMs: 250 }],
    ['brevo 429 no header: backoff', { status: 429, attempt: 2 }, { action: 'retry', waitMs: 500 }],
    ['429 on last attempt', { status: 429, attempt: 5 }, { action: 'fail', code: 'TAJO_BREVO_RATE_LIMITED' }],
    ['429 wait beyond the honoured maximum', { status: 429, headers: { 'x-sib-ratelimit-reset': '3600' } }, { action: 'fail', code: 'TAJO_BREVO_RATE_LIMITED' }],
    ['brevo 503', { status: 503, attempt: 3 }, { action: 'retry', waitMs: 1000 }],
    ['twilio 500', { vendor: 'twilio', status: 500 }, { action: 'retry', waitMs: 250 }],
    ['408', { status: 408 }, { action: 'retry', waitMs: 250 }],
    ['503 exhausted', { status: 503, attempt: 5 }, { action: 'fail', code: 'TAJO_BREVO_UNAVAILABLE' }],
    ['ECONNRESET', { networkError: 'ECONNRESET' }, { action: 'retry', waitMs: 250 }],
    ['timeout', { vendor: 'twilio', networkError: 'TimeoutError' }, { action: 'retry', waitMs: 250 }],
    ['timeout exhausted', { vendor: 'twilio', networkError: 'TimeoutError', attempt: 5 }, { action: 'fail', code: 'TAJO_TWILIO_UNAVAILABLE' }],
    ['unknown network error', { networkError: 'ERR_INVALID_URL' }, { action: 'fail', code: 'TAJO_BREVO_UNAVAILABLE' }],
  ];
  it.each(rows)('%s', (_name, input, expected) => {
    const d = decideRetry(base(input));
    expect(d.action).toBe(expected.action);
    if (d.action === 'fail') expect(d.code).toBe(expected.code);
    if (d.action === 'retry') expect(d.waitMs).toBe(expected.waitMs);
    expect(d.reason.length).toBeGreaterThan(0);
  });

  it('full jitter: the backoff spans [0, base·2^(n-1)]', () => {
    expect(decideRetry(base({ status: 502, attempt: 4, random: () => 0 }))).toMatchObject({ waitMs: 0 });
    expect(decideRetry(base({ status: 502, attempt: 4, random: () => 0.999999 }))).toMatchObject({ waitMs: 3999 });
    expect(decideRetry(base({ status: 502, attempt: 30, maxAttempts: 99, random: () => 0.999999 }))).toMatchObject({ waitMs: DEFAULT_BACKOFF_CAP_MS - 1 });
  });

  it('parseRetryAfter', () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter('0.5', NOW)).toBe(500);
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe('decideRetry properties', () => {
  const vendor = fc.constantFrom('twilio' as const, 'brevo' as const);
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE');
  const attempt = fc.integer({ min: 1, max: 20 });
  const rnd = fc.double({ min: 0, max: 0.9999999, noNaN: true });

  it('never retries a 4xx other than 408 and 429', () => {
    fc.assert(
      fc.property(vendor, method, fc.integer({ min: 400, max: 499 }).filter((s) => s !== 408 && s !== 429), attempt, rnd, (v, m, status, a, r) => {
        const d = decideRetry({ vendor: v, method: m, status, headers: { 'retry-after': '1', 'x-sib-ratelimit-reset': '1' }, attempt: a, maxAttempts: 25, nowMs: NOW, random: () => r });
        return d.action === 'fail';
      }),
    );
  });

  it('backoff waits (no vendor header) are within [0, cap]', () => {
    fc.assert(
      fc.property(vendor, method, fc.oneof(fc.integer({ min: 500, max: 599 }), fc.constant(408), fc.constant(429)), attempt, rnd, (v, m, status, a, r) => {
        const d = decideRetry({ vendor: v, method: m, status, headers: {}, attempt: a, maxAttempts: 100, nowMs: NOW, random: () => r });
        return d.action === 'retry' && d.waitMs >= 0 && d.waitMs <= DEFAULT_BACKOFF_CAP_MS;
      }),
    );
  });

  it('vendor-announced waits are honoured but bounded', () => {
    fc.assert(
      fc.property(vendor, fc.integer({ min: 0, max: 7200 }), rnd, (v, secs, r) => {
        const headers = v === 'brevo' ? { 'x-sib-ratelimit-reset': String(secs) } : { 'retry-after': String(secs) };
        const d = decideRetry({ vendor: v, method: 'POST', status: 429, headers, attempt: 1, maxAttempts: 5, nowMs: NOW, random: () => r });
        if (secs * 1000 > MAX_HONOURED_WAIT_MS) return d.action === 'fail';
        return d.action === 'retry' && d.waitMs >= secs * 1000 && d.waitMs <= MAX_HONOURED_WAIT_MS + 250;
      }),
    );
  });

  it('never retries once attempts are exhausted', () => {
    fc.assert(
      fc.property(vendor, fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }), fc.integer({ min: 1, max: 10 }), (v, status, max) => {
        const d = decideRetry({ vendor: v, method: 'GET', ...(status !== undefined ? { status } : { networkError: 'ECONNRESET' }), headers: {}, attempt: max, maxAttempts: max, nowMs: NOW });
        return d.action === 'fail';
      }),
    );
  });
});
