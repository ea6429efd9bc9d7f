import type { TajoConfig } from './config';
import type { TaskCompletePayload } from './payload';
import { isRetryableStatus, retryAfterMs, retryDelays } from './retry';
import { sign } from './sign';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal; keepalive?: boolean }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
}>;

export interface DeliverDeps {
  fetch: FetchLike;
  /** The agent's current Flex token (read again before every attempt: Flex refreshes it). */
  flexToken: () => string | undefined;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /**
   * Bytes of this plugin's keepalive posts in flight. A browser refuses (network error) a keepalive request that would
   * take the page's keepalive bodies in flight past 64 KiB in all, so a post goes with keepalive only while the sum of
   * ours stays under {@link KEEPALIVE_LIMIT}; shared by every delivery of one plugin. `refused` is set once this
   * browser has refused a keepalive post that went through without keepalive (old Chromium refuses keepalive with a
   * CORS preflight, crbug.com/810466): later posts go without keepalive.
   */
  keepalive?: { inflightBytes: number; refused?: boolean };
  /**
   * Called while a retry waits, with a function that starts one more post at once (keepalive, started synchronously);
   * returns its unregistration. The plugin calls it when the page is unloaded (`pagehide`): the wait would never end.
   */
  onWait?: (postNow: () => void) => () => void;
}

/** Our keepalive bodies in flight at most (the browser's limit, 64 KiB for the whole page, less a margin for others). */
export const KEEPALIVE_LIMIT = 60_000;

export type DeliveryResult =
  | { ok: true; status: number; attempts: number }
  | { ok: false; attempts: number; status?: number; reason: 'rejected' | 'exhausted' | 'no_token' | 'dropped' };

/** A fetch rejection that is a network error (the Fetch standard's TypeError), not our timeout's abort. */
const isNetworkError = (err: unknown): boolean => err instanceof TypeError;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Posts one completion: JSON body, the Flex token (`Authorization: Bearer`, which Tajo reads first) or
 * `X-Tajo-Signature`. Retries network errors, timeouts, 5xx and 429 with jittered exponential backoff (bounded
 * attempts, `Retry-After` honoured up to `maxDelayMs`), 408, and a 401 when Flex has refreshed the token since; any other
 * 4xx ends it. Never throws for HTTP outcomes. Posts go with keepalive (they outlive a closed tab) while the plugin's
 * keepalive bodies in flight stay under {@link KEEPALIVE_LIMIT}; while a retry waits, `deps.onWait` holds a last post.
 * A keepalive post that fails with a network error is made once more without keepalive within the same attempt.
 */
export async function deliver(payload: TaskCompletePayload, config: TajoConfig, deps: DeliverDeps): Promise<DeliveryResult> {
  const body = JSON.stringify(payload);
  // keepalive lets the post outlive a closing tab, but a browser fails a keepalive request that takes the page's
  // keepalive bodies in flight past 64 KiB of bytes (the UTF-8 bytes it sends, not `body.length`'s UTF-16 units):
  // a post that would goes without it.
  const bytes = new TextEncoder().encode(body).length;
  const budget = deps.keepalive ?? { inflightBytes: 0 };
  const takeKeepalive = (): boolean => {
    if (budget.refused === true || budget.inflightBytes + bytes > KEEPALIVE_LIMIT) return false;
    budget.inflightBytes += bytes;
    return true;
  };
  const maxDelay = config.maxDelayMs ?? 30_000;
  const delays = retryDelays(config.maxAttempts ?? 6, config.baseDelayMs ?? 500, maxDelay, deps.random);
  const sleep = deps.sleep ?? defaultSleep;
  const signature = config.auth === 'flex_token' ? undefined : await sign(config.auth.hmacSecret, body);
  let lastStatus: number | undefined;
  /** The headers of an attempt (the token read now), or undefined when the session has no token. */
  const headersNow = (): { headers: Record<string, string>; token?: string } | undefined => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (signature) {
      headers['X-Tajo-Signature'] = signature;
      return { headers };
    }
    const token = deps.flexToken();
    if (!token) return undefined;
    headers.Authorization = `Bearer ${token}`;
    return { headers, token };
  };
  /** The page is going away during a wait: one last post, started now with keepalive (its outcome is never known). */
  const postNow = (): void => {
    const h = headersNow();
    if (!h) return;
    try {
      void deps.fetch(config.endpoint, { method: 'POST', headers: h.headers, body, signal: new AbortController().signal, keepalive: budget.refused !== true && bytes <= KEEPALIVE_LIMIT }).catch(() => undefined);
    } catch {
      // nothing more can be done for a page being unloaded
    }
  };
  for (let attempt = 1; ; attempt++) {
    const h = headersNow();
    if (!h) return { ok: false, attempts: attempt - 1, reason: 'no_token' };
    const { headers, token } = h;
    let wait: number | undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), config.timeoutMs ?? 10_000);
    let keepalive = takeKeepalive();
    try {
      let res: Awaited<ReturnType<FetchLike>>;
      try {
        res = await deps.fetch(config.endpoint, { method: 'POST', headers, body, signal: controller.signal, keepalive });
      } catch (err) {
        // A browser that refuses a preflighted keepalive request fails it at once with a network TypeError: the same
        // attempt is made once more without keepalive before it counts as failed. If that one gets an answer, keepalive
        // was the problem: this plugin's later posts go without it.
        if (!keepalive || !isNetworkError(err) || controller.signal.aborted) throw err;
        budget.inflightBytes -= bytes;
        keepalive = false;
        res = await deps.fetch(config.endpoint, { method: 'POST', headers, body, signal: controller.signal, keepalive: false });
        budget.refused = true;
      }
      lastStatus = res.status;
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, attempts: attempt };
      // a 401 for a token Flex has replaced since (it refreshes tokens before they expire) can change: retry with the new one
      const refreshed = res.status === 401 && token !== undefined && (deps.flexToken() ?? token) !== token;
      if (!isRetryableStatus(res.status) && !refreshed) return { ok: false, attempts: attempt, status: res.status, reason: 'rejected' };
      wait = retryAfterMs(res.headers.get('retry-after'));
    } catch {
      lastStatus = undefined; // network error or timeout: retry
    } finally {
      clearTimeout(timer);
      if (keepalive) budget.inflightBytes -= bytes;
    }
    const delay = delays[attempt - 1];
    if (delay === undefined) {
      return lastStatus === undefined ? { ok: false, attempts: attempt, reason: 'exhausted' } : { ok: false, attempts: attempt, status: lastStatus, reason: 'exhausted' };
    }
    const unregister = deps.onWait?.(postNow);
    try {
      await sleep(Math.min(maxDelay, Math.max(delay, wait ?? 0)));
    } finally {
      unregister?.();
    }
  }
}

/**
 * The page is going away: one post of a completion that never started (it waited in the plugin's queue), started now
 * with keepalive while the plugin's keepalive budget allows (else not at all: without keepalive it dies with the page).
 * Its outcome is never seen. In HMAC mode the body is signed first (Web Crypto is asynchronous), so it may not start
 * before the page is gone.
 */
export function lastPost(payload: TaskCompletePayload, config: TajoConfig, deps: DeliverDeps): void {
  const body = JSON.stringify(payload);
  const bytes = new TextEncoder().encode(body).length;
  const budget = deps.keepalive ?? { inflightBytes: 0 };
  if (budget.refused === true || budget.inflightBytes + bytes > KEEPALIVE_LIMIT) return;
  const post = (headers: Record<string, string>): void => {
    budget.inflightBytes += bytes;
    try {
      void deps
        .fetch(config.endpoint, { method: 'POST', headers, body, signal: new AbortController().signal, keepalive: true })
        .catch(() => undefined)
        .finally(() => (budget.inflightBytes -= bytes));
    } catch {
      budget.inflightBytes -= bytes;
    }
  };
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (config.auth === 'flex_token') {
    const token = deps.flexToken();
    if (token) post({ ...headers, Authorization: `Bearer ${token}` });
    return;
  }
  void sign(config.auth.hmacSecret, body)
    .then((signature) => post({ ...headers, 'X-Tajo-Signature': signature }))
    .catch(() => undefined);
}
