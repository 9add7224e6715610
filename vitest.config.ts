// Test runner settings: which suites run, their time limits, and the plain summary line CI reads. Two projects in
// one run, so the summary line counts both: `unit` (everything but test/cluster), then `cluster` (test/cluster,
// a real kube-apiserver and etcd, one file at a time) when its tools are built or MESHMCP_CLUSTER=1. Suites tagged
// with an optional binary (postgres, prometheus, openssl) are skipped where it is missing: see
// test/support/optionalBinaries.ts.
import { defineConfig } from 'vitest/config';
import { clusterTierEnabled } from './test/cluster/tools/tools.js';
import { binaryTags } from './test/support/optionalBinaries.js';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    tags: binaryTags(),
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      {
        extends: true as const,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/cluster/**', 'node_modules/**'],
        },
      },
      ...(clusterTierEnabled()
        ? [
            {
              extends: true as const,
              test: {
                name: 'cluster',
                include: ['test/cluster/**/*.test.ts'],
                // After the unit project, and one file at a time: each file runs its own kube-apiserver.
                sequence: { groupOrder: 1 },
                fileParallelism: false,
                testTimeout: 240_000,
                hookTimeout: 300_000,
              },
            },
          ]
        : []),
    ],
  },
});
