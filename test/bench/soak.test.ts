// The soak's flatness criterion (bench/soak.ts), over the samples taken after its warm-up: the median of the last
// tenth within max(8 MiB, 10 %) of the median of the first tenth.
import { describe, expect, it } from 'vitest';
import { rssFlat } from '../../bench/soak.js';

const series = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('RSS flat over the soak', () => {
  it('accepts noise and a few spikes within the bound', () => {
    const s = series(100, (i) => (i % 17 === 0 ? 140 : 100 + (i % 3)));
    expect(rssFlat(s)).toMatchObject({ warm: 101, end: 101, flat: true });
  });

  it('calls steady growth not flat', () => {
    const f = rssFlat(series(100, (i) => 100 + i * 0.5));
    expect(f.flat).toBe(false);
    expect(f.end - f.warm).toBeGreaterThan(10);
  });

  it('allows 8 MiB for a small process, 10 % for a large one', () => {
    expect(rssFlat(series(20, (i) => (i < 10 ? 50 : 57.9))).flat).toBe(true);
    expect(rssFlat(series(20, (i) => (i < 10 ? 50 : 58.5))).flat).toBe(false);
    expect(rssFlat(series(20, (i) => (i < 10 ? 200 : 219))).flat).toBe(true);
  });
});
