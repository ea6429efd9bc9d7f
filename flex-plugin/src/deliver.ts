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
}

export type DeliveryResult =
  | { ok: true; status: number; attempts: number }
  | { ok: false; attempts: number; status?: number; reason: 'rejected' | 'exhausted' | 'no_token' };

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Posts one completion: JSON body, the Flex token (`Authorization: Bearer`, which Tajo reads first) or
 * `X-Tajo-Signature`. Retries network errors, timeouts, 5xx and 429 with jittered exponential backoff (bounded
 * attempts, `Retry-After` honoured up to `maxDelayMs`), 408, and a 401 when Flex has refreshed the token since; any other
 * 4xx ends it. Never throws for HTTP outcomes.
 */
export async function deliver(payload: TaskCompletePayload, config: TajoConfig, deps: DeliverDeps): Promise<DeliveryResult> {
  const body = JSON.stringify(payload);
  // keepalive lets the post outlive a closing tab, but a browser fails a keepalive request whose body exceeds
  // 64 KiB of bytes (the UTF-8 bytes it sends, not `body.length`'s UTF-16 units): larger bodies go without it.
  const keepalive = new TextEncoder().encode(body).length <= 60_000;
  const maxDelay = config.maxDelayMs ?? 30_000;
  const delays = retryDelays(config.maxAttempts ?? 6, config.baseDelayMs ?? 500, maxDelay, deps.random);
  const sleep = deps.sleep ?? defaultSleep;
  const signature = config.auth === 'flex_token' ? undefined : await sign(config.auth.hmacSecret, body);
  let lastStatus: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    let token: string | undefined;
    if (signature) headers['X-Tajo-Signature'] = signature;
    else {
      token = deps.flexToken();
      if (!token) return { ok: false, attempts: attempt - 1, reason: 'no_token' };
      headers.Authorization = `Bearer ${token}`;
    }
    let wait: number | undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), config.timeoutMs ?? 10_000);
    try {
      const res = await deps.fetch(config.endpoint, { method: 'POST', headers, body, signal: controller.signal, keepalive });
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
    }
    const delay = delays[attempt - 1];
    if (delay === undefined) {
      return lastStatus === undefined ? { ok: false, attempts: attempt, reason: 'exhausted' } : { ok: false, attempts: attempt, status: lastStatus, reason: 'exhausted' };
    }
    await sleep(Math.min(maxDelay, Math.max(delay, wait ?? 0)));
  }
}
