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
  /** Ends the waiter's abort subscription (granted, rejected or aborted). */
  unsubscribe?: () => void;
}

/**
 * Abort subscriptions behind ONE listener per signal. A run hands its signal to every request it makes (budget waits,
 * fetches, backoff sleeps, here and in ./http.ts): a listener each put dozens on one signal, and Node warns past 10
 * (MaxListenersExceededWarning). The listener is removed when the signal's last subscriber leaves.
 */
const subscribers = new WeakMap<AbortSignal, { fns: Set<() => void>; listener: () => void }>();

/** Runs `fn` once when `signal` aborts; returns the unsubscribe (call it once the wait is over). */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let entry = subscribers.get(signal);
  if (!entry) {
    const fns = new Set<() => void>();
    const listener = () => {
      subscribers.delete(signal);
      for (const f of [...fns]) f();
    };
    entry = { fns, listener };
    subscribers.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  const e = entry;
  const f = () => fn(); // its own identity: the same fn may subscribe twice
  e.fns.add(f);
  return () => {
    if (!e.fns.delete(f) || e.fns.size > 0) return;
    if (subscribers.get(signal) === e) {
      signal.removeEventListener('abort', e.listener);
      subscribers.delete(signal);
    }
  };
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
        w.unsubscribe?.();
        const i = queue.indexOf(w);
        if (i >= 0) queue.splice(i, 1);
        reject(signal.reason ?? new Error('aborted'));
        afterAbort?.();
      };
      w.unsubscribe = onAbort(signal, w.onAbort);
    }
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.priority > w.priority) i--;
    queue.splice(i, 0, w);
    wake();
  });
}

/** Hands a waiter its slot: resolves it with the ms it waited (returned too). */
export function grant(w: Waiter, nowMs: number): number {
  w.unsubscribe?.();
  const waited = Math.max(0, nowMs - w.startedAt);
  w.resolve(waited);
  return waited;
}

/** Rejects every queued waiter with `reason` and empties the queue. */
export function rejectAll(queue: Waiter[], reason: unknown): void {
  for (const w of queue.splice(0)) {
    w.unsubscribe?.();
    w.reject(reason);
  }
}
