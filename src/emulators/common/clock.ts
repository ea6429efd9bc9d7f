/**
 * The emulated clock: starts at `startMs` (the `--now` option; default real time) and runs `timeScale` times
 * faster than real time, so hourly budgets can be exercised in seconds while keeping documented ratios.
 */
export class EmulatorClock {
  private readonly realStart: number;
  private offsetMs = 0;

  constructor(
    readonly startMs: number = Date.now(),
    readonly timeScale: number = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(timeScale > 0)) throw new RangeError('timeScale must be > 0');
    this.realStart = realNow();
  }

  /** Emulated epoch milliseconds. */
  nowMs(): number {
    return Math.floor(this.startMs + (this.realNow() - this.realStart) * this.timeScale + this.offsetMs);
  }

  /** Jump the emulated clock forward (admin endpoint / tests). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('cannot go back in time');
    this.offsetMs += ms;
  }

  /** Emulated duration → real milliseconds to wait. */
  toRealMs(emulatedMs: number): number {
    return emulatedMs / this.timeScale;
  }
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}
