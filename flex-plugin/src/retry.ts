/**
 * Backoff before each retry: exponential ceilings `base·2^i` capped at `max`, with "equal jitter" (half fixed,
 * half random) so retries from many agents spread out but never fire at once. `attempts` counts the first try,
 * so there are `attempts - 1` delays.
 */
export function retryDelays(attempts: number, baseMs = 500, maxMs = 30_000, random: () => number = Math.random): number[] {
  const out: number[] = [];
  for (let i = 0; i < attempts - 1; i++) {
    const ceiling = Math.min(maxMs, baseMs * 2 ** i);
    out.push(Math.round(ceiling / 2 + random() * (ceiling / 2)));
  }
  return out;
}

/**
 * Retry on 5xx, 429 and 408 (the server timed out receiving the request: Tajo's server answers it after 15 s, e.g.
 * on a slow agent network) and network errors, handled by the caller; never on other 4xx.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** `Retry-After` in ms (seconds form or HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(header);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}
