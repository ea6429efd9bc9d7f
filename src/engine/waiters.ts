/**
 * The wait queue of a rate budget (engine/budget.ts, and the Postgres-shared one in scale/sharedBudget.ts): callers
 * wait for a request slot in priority order (0 = live before 1 = backfill; first come first served within one), and
 * an aborted caller leaves the queue at once.
 */
export interface Waiter {
  priority: 0 | 1;
  startedAt: number;
  resolve: (waited: number) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

/**
 * Queues a caller and resolves with the ms it waited once `grant` hands it a slot. Aborting `signal` takes it out of
 * the queue and rejects with the signal's reason (then `afterAbort`, e.g. to reschedule); `wake` runs once it is queued.
 */
export function waitInQueue(
  queue: Waiter[],
  opts: { priority?: 0 | 1; signal?: AbortSignal },
  startedAt: number,
  wake: () => void,
  afterAbort?: () => void,
): Promise<number> {
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<number>((resolve, reject) => {
    const w: Waiter = { priority: opts.priority ?? 0, startedAt, resolve, reject, signal };
    if (signal) {
      w.onAbort = () => {
        const i = queue.indexOf(w);
        if (i >= 0) queue.splice(i, 1);
        reject(signal.reason ?? new Error('aborted'));
        afterAbort?.();
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.priority > w.priority) i--;
    queue.splice(i, 0, w);
    wake();
  });
}

/** Hands a waiter its slot: resolves it with the ms it waited (returned too). */
export function grant(w: Waiter, nowMs: number): number {
  if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
  const waited = Math.max(0, nowMs - w.startedAt);
  w.resolve(waited);
  return waited;
}

/** Rejects every queued waiter with `reason` and empties the queue. */
export function rejectAll(queue: Waiter[], reason: unknown): void {
  for (const w of queue.splice(0)) {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.reject(reason);
  }
}
