import type { ErrorCode } from '../core/errors.js';

/**
 * The retry decision, pure and separate from the sleep (style.md example 9). It reads the status, the network
 * error and the vendor's rate-limit headers and says whether to try again, after how long, and why.
 *
 * Non-idempotent POSTs (Brevo `POST /events`, `/events/batch`, `/contacts/import`) are retried too. That is safe
 * only because Tajo recognises re-sends: every event carries `event_properties.tajo_id` and the delivery ledger
 * (`store.delivered`) keeps a delivered key from being sent again; contact writes are upserts keyed by ext_id.
 * A retry after a lost 2xx can therefore duplicate at most the in-flight request, and consumers dedupe by tajo_id.
 */

export type Vendor = 'twilio' | 'brevo';

export interface RetryInput {
  vendor: Vendor;
  method: string;
  status?: number;
  /** `ECONNRESET`, `ETIMEDOUT`, `TimeoutError`, … when no response arrived. */
  networkError?: string;
  /** Response headers, lower-cased names. */
  headers: Record<string, string | undefined>;
  /** Attempts made so far, including the one that just failed (1 after the first try). */
  attempt: number;
  maxAttempts: number;
  nowMs: number;
  /** [0, 1); Math.random by default. */
  random?: () => number;
  /** Emulated-time factor: vendor reset seconds are emulated seconds and are divided by it. Default 1. */
  timeScale?: number;
  /** Backoff base and cap (ms); defaults 500 ms and 30 s. */
  baseMs?: number;
  capMs?: number;
}

export type RetryDecision =
  | { action: 'retry'; waitMs: number; reason: string }
  | { action: 'fail'; reason: string; code: ErrorCode };

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;
/** A vendor-announced wait longer than this is not slept through inside one call: the caller reschedules. */
export const MAX_HONOURED_WAIT_MS = 15 * 60_000;

/** Network error codes worth another try (connection trouble or our own timeout). */
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'TimeoutError', 'AbortError',
]);

const CODES = {
  twilio: { auth: 'TAJO_TWILIO_AUTH', forbidden: 'TAJO_TWILIO_FORBIDDEN', notFound: 'TAJO_TWILIO_NOT_FOUND', rateLimited: 'TAJO_TWILIO_RATE_LIMITED', unavailable: 'TAJO_TWILIO_UNAVAILABLE', rejected: 'TAJO_TWILIO_BAD_RESPONSE' },
  // Brevo has no dedicated 403/404 codes: 403 (permission denied) is an auth problem for the key, 404 a rejection.
  brevo: { auth: 'TAJO_BREVO_AUTH', forbidden: 'TAJO_BREVO_AUTH', notFound: 'TAJO_BREVO_REJECTED', rateLimited: 'TAJO_BREVO_RATE_LIMITED', unavailable: 'TAJO_BREVO_UNAVAILABLE', rejected: 'TAJO_BREVO_REJECTED' },
} as const satisfies Record<Vendor, Record<string, ErrorCode>>;

/** Capped exponential backoff with full jitter: uniform in [0, min(cap, base·2^(attempt-1))]. */
export function backoffMs(attempt: number, random: () => number, baseMs = DEFAULT_BACKOFF_BASE_MS, capMs = DEFAULT_BACKOFF_CAP_MS): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.floor(random() * exp);
}

/** `Retry-After`: delta seconds or an HTTP date. Returns ms from now, or undefined when absent/unparseable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Brevo's `x-sib-ratelimit-reset`: seconds left in the window. */
export function parseSibReset(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Math.round(Number(value) * 1000);
}

export function decideRetry(i: RetryInput): RetryDecision {
  const random = i.random ?? Math.random;
  const scale = i.timeScale ?? 1;
  const codes = CODES[i.vendor];
  const cap = i.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const base = i.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const lastTry = i.attempt >= i.maxAttempts;
  const backoff = () => backoffMs(i.attempt, random, base, cap);

  if (i.status === undefined) {
    const err = i.networkError ?? 'unknown network error';
    if (!RETRYABLE_NETWORK.has(err)) return { action: 'fail', reason: `network error ${err}`, code: codes.unavailable };
    if (lastTry) return { action: 'fail', reason: `network error ${err}; attempts exhausted (${i.attempt})`, code: codes.unavailable };
    return { action: 'retry', waitMs: backoff(), reason: `network error ${err}` };
  }

  const s = i.status;
  if (s < 400) return { action: 'fail', reason: `unexpected status ${s}`, code: codes.rejected };

  if (s === 429) {
    if (lastTry) return { action: 'fail', reason: `429 rate limited; attempts exhausted (${i.attempt})`, code: codes.rateLimited };
    const announced =
      i.vendor === 'brevo'
        ? (parseSibReset(i.headers['x-sib-ratelimit-reset']) ?? parseRetryAfter(i.headers['retry-after'], i.nowMs))
        : parseRetryAfter(i.headers['retry-after'], i.nowMs);
    if (announced !== undefined) {
      const waitMs = Math.ceil(announced / scale);
      if (waitMs > MAX_HONOURED_WAIT_MS) return { action: 'fail', reason: `429 rate limited for ${Math.round(waitMs / 1000)} s`, code: codes.rateLimited };
      // A small jitter keeps parallel workers from stampeding on the same reset instant.
      return { action: 'retry', waitMs: Math.max(1, waitMs) + Math.floor(random() * Math.min(250, base)), reason: `429 rate limited (vendor reset ${announced} ms)` };
    }
    return { action: 'retry', waitMs: Math.max(1, backoff()), reason: '429 rate limited (no reset header)' };
  }
  if (s === 408 || s >= 500) {
    if (lastTry) return { action: 'fail', reason: `${s}; attempts exhausted (${i.attempt})`, code: codes.unavailable };
    return { action: 'retry', waitMs: backoff(), reason: s === 408 ? '408 request timeout' : `${s} server error` };
  }
  if (s === 401) return { action: 'fail', reason: '401 unauthorized', code: codes.auth };
  if (s === 403) return { action: 'fail', reason: '403 forbidden', code: codes.forbidden };
  if (s === 404) return { action: 'fail', reason: '404 not found', code: codes.notFound };
  return { action: 'fail', reason: `${s} rejected`, code: codes.rejected };
}
