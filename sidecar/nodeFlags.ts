// The Node/V8 flags the sidecar ships with. Measured (npm run bench) on Node 20: without them RSS climbs from ~49
// to ~94 MiB over 10k calls (young generation growth and optimizing-compiler memory); with them it stays near 51
// MiB, inside the seed's 64Mi pod limit. The price is throughput (~1.2k calls/s on one core instead of ~2.9k),
// which a diagnostics sidecar limited to 50m CPU never needs.
//
// --lite-mode runs V8 without its optimizing tiers and allocates feedback lazily; it implies no WebAssembly, so
// --no-expose-wasm states it and keeps V8 from warning. The sidecar uses node:http (native llhttp), never the
// WebAssembly-based fetch.
export const SIDECAR_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=32',
  '--lite-mode',
  '--no-expose-wasm',
] as const;
