// Ends a test run with one plain "N passed, N failed, N skipped" line that any CI log reader understands, after one
// line for each optional binary whose tests were skipped because it is missing (test/support/optionalBinaries.ts).
import type { Reporter, TestModule } from 'vitest/node';
import { findBinary, OPTIONAL_BINARIES, type OptionalBinary, skipLine } from './optionalBinaries.js';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    // The same lookup as vitest.config.ts's tags: a test tagged with a missing binary was skipped for it.
    const absent = OPTIONAL_BINARIES.filter((b) => findBinary(b) === undefined);
    const missing = new Map<OptionalBinary, number>();
    for (const m of modules) {
      let moduleFailed = 0;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') moduleFailed++;
        else {
          skipped++;
          const binary = absent.find((b) => t.tags.includes(b));
          if (binary) missing.set(binary, (missing.get(binary) ?? 0) + 1);
        }
      }
      // A file that failed with no failed test (an import error, a failing beforeAll whose tests were skipped)
      // still counts as one failure, so this line never says 0 failed while the run fails.
      if (m.state() === 'failed' && moduleFailed === 0) moduleFailed = 1;
      failed += moduleFailed;
    }
    const lines = [...missing].map(([b, n]) => `skipped ${n} test${n === 1 ? '' : 's'}: ${skipLine(b)}\n`);
    process.stdout.write(`\n${lines.join('')}${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
