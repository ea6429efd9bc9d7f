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
 * The waiters queued under each signal, behind ONE abort listener per signal. A run hands its signal to every request
 * it makes, and the budgets queue them all: a listener per waiter put dozens on one signal (Node's
 * MaxListenersExceededWarning past 10). The listener is removed when the signal's last waiter leaves.
 */
const bySignal = new WeakMap<AbortSignal, { waiters: Set<Waiter>; listener: () => void }>();

function watch(w: Waiter, signal: AbortSignal): void {
  let entry = bySignal.get(signal);
  if (!entry) {
    const waiters = new Set<Waiter>();
    const listener = () => {
      bySignal.delete(signal);
      for (const x of [...waiters]) x.onAbort?.();
    };
    entry = { waiters, listener };
    bySignal.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  entry.waiters.add(w);
}

function unwatch(w: Waiter): void {
  if (!w.signal) return;
  const entry = bySignal.get(w.signal);
  if (!entry) return;
  entry.waiters.delete(w);
  if (entry.waiters.size === 0) {
    w.signal.removeEventListener('abort', entry.listener);
    bySignal.delete(w.signal);
  }
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
        unwatch(w);
        const i = queue.indexOf(w);
        if (i >= 0) queue.splice(i, 1);
        reject(signal.reason ?? new Error('aborted'));
        afterAbort?.();
      };
      watch(w, signal);
    }
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.priority > w.priority) i--;
    queue.splice(i, 0, w);
    wake();
  });
}

/** Hands a waiter its slot: resolves it with the ms it waited (returned too). */
export function grant(w: Waiter, nowMs: number): number {
  unwatch(w);
  const waited = Math.max(0, nowMs - w.startedAt);
  w.resolve(waited);
  return waited;
}

/** Rejects every queued waiter with `reason` and empties the queue. */
export function rejectAll(queue: Waiter[], reason: unknown): void {
  for (const w of queue.splice(0)) {
    unwatch(w);
    w.reject(reason);
  }
}
