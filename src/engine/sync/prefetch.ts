/**
 * Runs an async iterator one step ahead of its consumer: while the caller processes (derives and commits) item N,
 * item N+1 is already being fetched, so the slower of reading and writing sets the pace.
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      // A rejection of the prefetched step surfaces when it is awaited; keep it from being reported as unhandled meanwhile.
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
