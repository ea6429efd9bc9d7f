import { afterEach, describe, expect, it, vi } from 'vitest';
import { VendorClock, type ClockReading } from './clock.js';

const T0 = Date.UTC(2026, 0, 1);

afterEach(() => {
  vi.useRealTimers();
});

describe('VendorClock: one reading of the vendors\' clock, extrapolated, read again in the background', () => {
  it('reads once, extrapolates at the time scale, refreshes only after refreshMs, warns once when the emulator goes away', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const readings: ClockReading[] = [
      { nowMs: T0 - 60 * 86_400_000, timeScale: 60, emulated: true },
      { nowMs: 0, timeScale: 1, emulated: false, warning: 'the emulator did not answer' },
      { nowMs: 0, timeScale: 1, emulated: false, warning: 'the emulator did not answer' },
    ];
    let reads = 0;
    const warnings: string[] = [];
    const clock = new VendorClock(async () => readings[Math.min(reads++, readings.length - 1)] as ClockReading, { refreshMs: 60_000, onWarning: (m) => warnings.push(m) });
    await clock.ready();
    expect(clock.emulated).toBe(true);
    expect(clock.now()).toBe(T0 - 60 * 86_400_000);
    vi.setSystemTime(T0 + 1_000);
    for (let i = 0; i < 20; i++) await clock.ready();
    expect(reads).toBe(1);
    expect(clock.now()).toBe(T0 - 60 * 86_400_000 + 60_000);
    // stale: read again in the background; the emulator does not answer: its last reading goes on, one warning
    vi.setSystemTime(T0 + 61_000);
    await clock.ready();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(2);
    expect(warnings).toEqual(['the emulator did not answer']);
    expect(clock.now()).toBe(T0 - 60 * 86_400_000 + 61 * 60_000);
    vi.setSystemTime(T0 + 122_000);
    await clock.ready();
    await new Promise((r) => setImmediate(r));
    expect(reads).toBe(3);
    expect(warnings).toHaveLength(1);
  });

  it("this machine's clock when the reading is not an emulator's; never backwards", async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const clock = new VendorClock(async () => ({ nowMs: Date.now(), timeScale: 1, emulated: false }));
    await clock.ready();
    expect(clock.now()).toBe(T0);
    vi.setSystemTime(T0 - 5_000);
    expect(clock.now()).toBe(T0);
  });
});
