import { TajoError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { parseJsonBuffer } from './jsonBody.js';
import { acquireAll, type RateBudget } from './budget.js';
import { decideRetry, parseRetryAfter, parseSibReset, type Vendor } from './retry.js';
import { onAbort } from './waiters.js';

/**
 * The one HTTP layer for vendor calls: rate budgets first, then `fetch` with a timeout, then the pure retry
 * decision. Errors never carry request headers, credentials or query strings.
 */

export interface HttpRequestOptions {
  vendor: Vendor;
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A string, or bytes (JSON bodies from ./jsonEncode.ts). */
  body?: string | Buffer;
  budgets: RateBudget[];
  priority?: 0 | 1;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Default 5. */
  maxAttempts?: number;
  logger?: Logger;
  logApiCalls?: boolean;
  signal?: AbortSignal;
  /** Request counters (benchmarks); defaults to the process-wide `requestStats`. */
  stats?: RequestStats;
  /** Emulated-time factor for vendor-reported reset seconds. */
  timeScale?: number;
  /** Feed Brevo `x-sib-ratelimit-*` headers into `budgets` (default true); off when the caller routes them itself. */
  observeRateHeaders?: boolean;
  /** Injected for tests. */
  random?: () => number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  json: unknown;
  text: string;
  attempts: number;
  budgetWaitMs: number;
}

/** A vendor call that failed for good. `httpStatus`/`responseBody` let callers classify rejections. */
export class VendorHttpError extends TajoError {
  readonly httpStatus: number | undefined;
  readonly responseBody: unknown;
  readonly attempts: number;
  readonly headersSeen: Record<string, string>;
  constructor(code: ErrorCode, message: string, info: { httpStatus?: number; responseBody?: unknown; attempts: number; headers?: Record<string, string> }) {
    super(code, message);
    this.name = 'VendorHttpError';
    this.httpStatus = info.httpStatus;
    this.responseBody = info.responseBody;
    this.attempts = info.attempts;
    this.headersSeen = info.headers ?? {};
  }
}

/** Per-API request counters, keyed `vendor METHOD /path/template` (ids replaced by `:id`). */
export class RequestStats {
  private readonly counts = new Map<string, { requests: number; errors: number; throttled: number }>();

  record(vendor: Vendor, method: string, url: string, status: number | undefined): void {
    const key = `${vendor} ${method.toUpperCase()} ${pathTemplate(url)}`;
    const c = this.counts.get(key) ?? { requests: 0, errors: 0, throttled: 0 };
    c.requests++;
    if (status === undefined || status >= 400) c.errors++;
    if (status === 429) c.throttled++;
    this.counts.set(key, c);
  }

  snapshot(): Record<string, { requests: number; errors: number; throttled: number }> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v }]));
  }

  total(filter?: (key: string) => boolean): number {
    let n = 0;
    for (const [k, v] of this.counts) if (!filter || filter(k)) n += v.requests;
    return n;
  }

  reset(): void {
    this.counts.clear();
  }
}

export const requestStats = new RequestStats();

/** Path without query/host; SIDs, numeric ids and URL-encoded identifiers collapse to `:id`. */
export function pathTemplate(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0] ?? url;
  }
  return path
    .split('/')
    .map((seg) => (/^[A-Z]{2}[0-9a-f]{32}$/.test(seg) || /^\d+$/.test(seg) || seg.includes('%') || seg.includes('@') || seg.startsWith('+') ? ':id' : seg))
    .join('/');
}

/** Path only (no host, no query): safe to log. Identifiers in the path are masked. */
function safePath(url: string): string {
  return pathTemplate(url);
}

function networkErrorCode(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return err.name;
    const cause = (err as { cause?: unknown }).cause;
    if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') return cause.code;
    if ('code' in err && typeof (err as { code?: unknown }).code === 'string') return (err as { code: string }).code;
  }
  return 'ECONNRESET';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      unsubscribe?.();
      resolve();
    }, ms);
    // one listener per signal, however many sleeps share it (./waiters.ts onAbort)
    const unsubscribe = signal
      ? onAbort(signal, () => {
          clearTimeout(t);
          reject(signal.reason ?? new Error('aborted'));
        })
      : undefined;
  });
}

function combine(timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException('request timed out', 'TimeoutError')), timeoutMs);
  let unsubscribe: (() => void) | undefined;
  if (outer) {
    // one listener per outer signal, however many requests are in flight under it (./waiters.ts onAbort)
    if (outer.aborted) ctrl.abort(outer.reason);
    else unsubscribe = onAbort(outer, () => ctrl.abort(outer.reason));
  }
  return {
    signal: ctrl.signal,
    done: () => {
      clearTimeout(timer);
      unsubscribe?.();
    },
  };
}

const EMPTY = Buffer.alloc(0);

/** The body as JSON, or undefined when it is empty or not JSON (large bodies are parsed in pieces: ./jsonBody.ts). */
function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return parseJsonBuffer(body);
  } catch {
    return undefined;
  }
}

export function sibHeaders(h: Record<string, string>): { limit?: number; remaining?: number; resetSeconds?: number } | undefined {
  const num = (v: string | undefined) => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
  const limit = num(h['x-sib-ratelimit-limit']);
  const remaining = num(h['x-sib-ratelimit-remaining']);
  const resetSeconds = num(h['x-sib-ratelimit-reset']);
  if (limit === undefined && remaining === undefined && resetSeconds === undefined) return undefined;
  return { ...(limit !== undefined ? { limit } : {}), ...(remaining !== undefined ? { remaining } : {}), ...(resetSeconds !== undefined ? { resetSeconds } : {}) };
}

/** A short, secret-free description of a vendor error body (its code and message only). */
function describeBody(json: unknown, text: string): string {
  if (json && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    const parts = [o.code, o.message].filter((x) => typeof x === 'string' || typeof x === 'number');
    if (parts.length) return parts.join(': ').slice(0, 300);
  }
  return text.slice(0, 120);
}

export async function httpRequest(opts: HttpRequestOptions): Promise<HttpResponse> {
  const maxAttempts = opts.maxAttempts ?? 5;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const stats = opts.stats ?? requestStats;
  const method = opts.method.toUpperCase();
  const path = safePath(opts.url);
  let budgetWaitMs = 0;

  for (let attempt = 1; ; attempt++) {
    const acquireOpts: { priority?: 0 | 1; signal?: AbortSignal } = {};
    if (opts.priority !== undefined) acquireOpts.priority = opts.priority;
    if (opts.signal) acquireOpts.signal = opts.signal;
    const waited = await acquireAll(opts.budgets, acquireOpts);
    budgetWaitMs += waited;

    const started = Date.now();
    const { signal, done } = combine(timeoutMs, opts.signal);
    let status: number | undefined;
    let headers: Record<string, string> = {};
    let body = EMPTY;
    let netErr: string | undefined;
    try {
      const init: RequestInit = { method, signal };
      if (opts.headers) init.headers = opts.headers;
      // a Buffer is a Uint8Array, which fetch sends as is (the DOM typings want an ArrayBuffer-backed one)
      if (opts.body !== undefined) init.body = opts.body as string | Uint8Array<ArrayBuffer>;
      const res = await fetch(opts.url, init);
      status = res.status;
      res.headers.forEach((v, k) => {
        headers[k.toLowerCase()] = v;
      });
      body = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      netErr = networkErrorCode(err);
      status = undefined;
      headers = {};
    } finally {
      done();
    }
    const durationMs = Date.now() - started;
    stats.record(opts.vendor, method, opts.url, status);

    if (opts.vendor === 'brevo' && opts.observeRateHeaders !== false) {
      const sib = sibHeaders(headers);
      if (sib) for (const b of opts.budgets) b.observe(sib);
    }
    if (opts.logApiCalls && opts.logger) {
      opts.logger.info({ vendor: opts.vendor, method, path, status: status ?? netErr, durationMs, budgetWaitMs: waited, attempt }, 'api call');
    }

    if (status !== undefined && status >= 200 && status < 300) {
      const json = parseJson(body);
      const raw = body;
      // The text is decoded only when a caller asks for it: a parsed list page never exists as one big string.
      return { status, headers, json, get text() { return raw.toString('utf8'); }, attempts: attempt, budgetWaitMs };
    }

    const decision = decideRetry({
      vendor: opts.vendor,
      method,
      ...(status !== undefined ? { status } : {}),
      ...(netErr !== undefined ? { networkError: netErr } : {}),
      headers,
      attempt,
      maxAttempts,
      nowMs: Date.now(),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    });
    if (decision.action === 'fail') {
      const json = parseJson(body);
      const text = body.toString('utf8');
      if (status === 429) {
        // Giving up on a long rate-limit window: keep every other caller of these budgets off it as well.
        const reset = opts.vendor === 'brevo' ? parseSibReset(headers['x-sib-ratelimit-reset']) : parseRetryAfter(headers['retry-after'], Date.now());
        if (reset !== undefined) for (const b of opts.budgets) b.pauseFor(reset / (opts.timeScale ?? 1));
      }
      const what = status !== undefined ? describeBody(json, text) : netErr;
      throw new VendorHttpError(decision.code, `${opts.vendor} ${method} ${path} failed: ${decision.reason}${what ? ` (${what})` : ''}`, {
        ...(status !== undefined ? { httpStatus: status } : {}),
        responseBody: json ?? text,
        attempts: attempt,
        headers: pickRateHeaders(headers),
      });
    }
    if (status === 429) for (const b of opts.budgets) b.pauseFor(decision.waitMs);
    opts.logger?.debug({ vendor: opts.vendor, method, path, status: status ?? netErr, attempt, waitMs: decision.waitMs, reason: decision.reason }, 'retrying api call');
    await sleep(decision.waitMs, opts.signal);
  }
}

/** Only rate-limit headers are kept on errors (never auth or cookies). */
function pickRateHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-sib-ratelimit') || k === 'retry-after' || k.startsWith('x-rate-limit')) out[k] = v;
  return out;
}
