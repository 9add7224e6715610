// The Node/V8 flags the sidecar ships with (the container command, `meshmcp sidecar`, `meshmcp dev` and the
// benchmarks use them). They trade throughput for memory: a diagnostics sidecar limited to 50m CPU never needs more
// than a few hundred calls a second, but it must stay inside the pod's 64Mi memory limit.
//
// What makes it fit on Node 24, step by step. Node 24.21, the bundle in front of the payment-service demo,
// 10,000 get_health calls with 16 in flight; RSS idle / RSS after / anonymous memory after, in MiB:
//
//   Node 20.20, the Node 20 flags (semi-space 1, old space 32, --no-opt, --no-sparkplug)   48.6 / 56.4 / 18.7
//   Node 24.21, the same flags                                                             64.7 / 96.8 / 50.9
//   + --no-maglev: Maglev, V8's mid-tier compiler since Node 22, is not turned off by
//     --no-opt, and its code and feedback grow with every call                             60.5 / 70.8 / 27.2
//   + built-ins through process.getBuiltinModule (scripts/bundleSidecar.js): an ESM import
//     of a built-in reads all its exports, loading fs/promises, webcrypto, undici, http2     54.0 / 63.7 / 22.7
//   + no node:crypto (registry.ts), node:fs/promises (toolsConfig/load.ts) or perf_hooks
//     (clock.ts) at start: 195 built-in modules at start became 124                        51.1 / 62.1 / 22.3
//   + --optimize-for-size: smaller heap growth steps and denser objects                     51.1 / 59.4 / 19.7
//   + old space 16 MB instead of 32: collected earlier; the heavy tools' 4 MiB answers
//     still fit (bench: sidecar, heavy tools; and the 64Mi cgroup run)                      51.0 / 55.1 / 15.4
//
// Tried and left out: a V8 startup snapshot (node:http's server is not serialisable into one, so it saves nothing
// that matters); --jitless and --lite-mode (no gain over the interpreter-only flags, and jitless removes
// WebAssembly); malloc and thread-pool knobs (no measurable effect). Without --no-opt and --no-sparkplug the
// optimizing and baseline compilers keep code memory that grows with traffic.
//
// The list is repeated in istio/operator.yaml's injection template and the Helm chart's sidecar template;
// test/istio/manifests.test.ts checks they match.
export const SIDECAR_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=16',
  '--no-opt',
  '--no-maglev',
  '--no-sparkplug',
  '--optimize-for-size',
] as const;
