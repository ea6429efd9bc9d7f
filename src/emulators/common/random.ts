/** Small seeded PRNG (mulberry32): deterministic data and fault decisions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic hex string of `len` characters from a PRNG. */
export function hexFrom(rand: () => number, len = 32): string {
  let s = '';
  while (s.length < len) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, len);
}
