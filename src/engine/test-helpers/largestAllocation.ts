import { Session } from 'node:inspector';

/**
 * The largest single V8 heap allocation `f` makes, collected or not (V8's sampling heap profiler, every 16 KB).
 * Buffers' backing stores live outside the V8 heap and are not counted.
 */
export async function largestAllocation(f: () => unknown): Promise<{ bytes: number; value: unknown }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  try {
    await post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const value = f();
    const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { samples: { size: number }[] } };
    return { bytes: Math.max(0, ...profile.samples.map((x) => x.size)), value };
  } finally {
    session.disconnect();
  }
}
