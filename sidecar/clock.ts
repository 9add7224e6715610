// Monotonic milliseconds for durations. The global `performance` is a lazy getter that loads perf_hooks (timerify,
// histograms, user timing) on first touch; process.hrtime.bigint() reads the same clock with nothing loaded.
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
