/**
 * Stale-while-revalidate memo for the dashboard API: a value younger than `freshMs` is served as is; an older one is
 * served at once while one recomputation runs in the background (a dashboard polling every few seconds always gets an
 * answer computed at most one poll ago, without waiting for the computation). A key never seen is computed and awaited.
 * Unused keys are dropped after `idleMs`; at most `maxKeys` are kept.
 */
interface Entry<T> {
  value?: T;
  at: number;
  usedAt: number;
  pending?: Promise<T>;
}

export class SwrCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly opts: { freshMs: number; idleMs?: number; maxKeys?: number; now?: () => number; onError?: (err: unknown) => void },
  ) {}

  async get(key: string, compute: () => Promise<T>): Promise<T> {
    const now = (this.opts.now ?? Date.now)();
    this.evict(now);
    let e = this.entries.get(key);
    if (this.opts.freshMs <= 0) return compute();
    if (!e) {
      e = { at: 0, usedAt: now };
      this.entries.set(key, e);
    }
    e.usedAt = now;
    if (e.value !== undefined) {
      if (now - e.at >= this.opts.freshMs && !e.pending) this.refresh(key, e, compute).catch((err: unknown) => this.opts.onError?.(err));
      return e.value;
    }
    return e.pending ?? this.refresh(key, e, compute);
  }

  private refresh(key: string, e: Entry<T>, compute: () => Promise<T>): Promise<T> {
    const p = compute().then(
      (v) => {
        e.value = v;
        e.at = (this.opts.now ?? Date.now)();
        delete e.pending;
        return v;
      },
      (err: unknown) => {
        delete e.pending;
        if (e.value === undefined) this.entries.delete(key);
        throw err;
      },
    );
    e.pending = p;
    return p;
  }

  private evict(now: number): void {
    const idle = this.opts.idleMs ?? 300_000;
    for (const [k, e] of this.entries) if (now - e.usedAt > idle && !e.pending) this.entries.delete(k);
    const max = this.opts.maxKeys ?? 64;
    while (this.entries.size > max) {
      const oldest = [...this.entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0];
      if (!oldest) break;
      this.entries.delete(oldest[0]);
    }
  }
}
