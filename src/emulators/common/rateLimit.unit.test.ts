import { describe, expect, it } from 'vitest';
import { EmulatorClock } from './clock.js';
import { TokenBucket } from './rateLimit.js';

describe('TokenBucket', () => {
  it('a rate below one request per second still lets one request through per 1/rate seconds', () => {
    const real = Date.now();
    const clock = new EmulatorClock(Date.UTC(2026, 0, 1), 1, () => real);
    const b = new TokenBucket('slow', 0.5, clock);
    expect(b.take()).toMatchObject({ allowed: true, limit: 0.5, remaining: 0 });
    const blocked = b.take();
    expect(blocked).toMatchObject({ allowed: false });
    expect(blocked.resetSeconds).toBe(2);
    clock.advance(1_000);
    expect(b.take().allowed).toBe(false);
    clock.advance(1_000);
    expect(b.take().allowed).toBe(true);
    expect(b.take().allowed).toBe(false);
  });

  it('a rate of 10 per second keeps one second of burst', () => {
    const real = Date.now();
    const clock = new EmulatorClock(Date.UTC(2026, 0, 1), 1, () => real);
    const b = new TokenBucket('ten', 10, clock);
    for (let i = 0; i < 10; i++) expect(b.take().allowed).toBe(true);
    expect(b.take()).toMatchObject({ allowed: false, remaining: 0, resetSeconds: 1 });
    clock.advance(100);
    expect(b.take().allowed).toBe(true);
  });
});
