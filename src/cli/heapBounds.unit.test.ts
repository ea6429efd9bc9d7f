import { describe, expect, it } from 'vitest';
import { boundedEnv, boundedHeapFlags, MIN_HEAP_MB } from './heapBounds.js';

describe('boundedHeapFlags', () => {
  it('bounds the long-running commands only', () => {
    expect(boundedHeapFlags(['connectors', 'sync', 'twilio-flex', '--type', 'full'], {}, [])).toEqual(['--max-old-space-size=160', '--max-semi-space-size=4']);
    expect(boundedHeapFlags(['--config', 'x.yaml', 'serve', '--port', '8787'], {}, [])).toHaveLength(2);
    expect(boundedHeapFlags(['serve', '--port', '8787'], {}, [])).toEqual(['--max-old-space-size=160', '--max-semi-space-size=4']);
    expect(boundedHeapFlags(['migrate', '--from', 'sqlite'], {}, [])).toHaveLength(2);
    for (const other of [['demo'], ['emulator'], ['connectors', 'status', 'twilio-flex'], ['dlq', 'list'], ['report', '--json'], ['sync'], []]) {
      expect(boundedHeapFlags(other, {}, [])).toBeUndefined();
    }
  });

  it('respects the user: TAJO_HEAP_MB, 0 to turn off, a heap size already given; no second re-run', () => {
    const sync = ['connectors', 'sync', 'twilio-flex'];
    expect(boundedHeapFlags(sync, { TAJO_HEAP_MB: '512' }, [])?.[0]).toBe('--max-old-space-size=512');
    expect(boundedHeapFlags(sync, { TAJO_HEAP_MB: '0' }, [])).toBeUndefined();
    expect(boundedHeapFlags(sync, { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=4096' }, [])).toBeUndefined();
    expect(boundedHeapFlags(sync, {}, ['--max-old-space-size=300'])).toBeUndefined();
    expect(boundedHeapFlags(sync, { TAJO_BOUNDED_HEAP: '1' }, [])).toBeUndefined();
  });

  it('refuses a TAJO_HEAP_MB it cannot take (not a whole number, or below the minimum) with TAJO_USAGE', () => {
    const sync = ['connectors', 'sync', 'twilio-flex'];
    for (const bad of ['lots', 'abc', '1', '63', '-5', '12.5', '1e3']) {
      expect(() => boundedHeapFlags(sync, { TAJO_HEAP_MB: bad }, []), bad).toThrow(expect.objectContaining({ code: 'TAJO_USAGE', exitCode: 64 }));
    }
    expect(boundedHeapFlags(sync, { TAJO_HEAP_MB: String(MIN_HEAP_MB) }, [])?.[0]).toBe(`--max-old-space-size=${MIN_HEAP_MB}`);
    // commands that are not bounded do not read it
    expect(boundedHeapFlags(['report'], { TAJO_HEAP_MB: 'abc' }, [])).toBeUndefined();
  });

  it('gives the re-run two malloc arenas unless the user chose a number', () => {
    expect(boundedEnv({})).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(boundedEnv({ MALLOC_ARENA_MAX: '' })).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(boundedEnv({ MALLOC_ARENA_MAX: '8' })).toEqual({});
  });
});
