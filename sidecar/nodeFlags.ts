// The Node/V8 flags the sidecar ships with (the container command, `meshmcp dev` and the benchmarks use them).
// Measured with npm run bench on Node 20: without them RSS climbs from ~49 to ~94 MiB over 10k calls, as V8 grows
// the young generation and keeps optimizing-compiler memory; with them it stays near 55 MiB, inside the
// pod's 64Mi limit. The price is throughput (~1.5k calls/s on one core instead of ~2.9k), which a diagnostics sidecar
// limited to 50m CPU never needs.
//
// - a 1 MB semi-space and a 32 MB old space keep the heap small and collected early;
// - --no-opt and --no-sparkplug run JavaScript in the interpreter only: no optimized or baseline code to keep.
// V8's jitless/lite modes would save a little more but remove WebAssembly, which Node's built-in undici needs and
// pg touches on load: the database tool would crash the process.
export const SIDECAR_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=32',
  '--no-opt',
  '--no-sparkplug',
] as const;
