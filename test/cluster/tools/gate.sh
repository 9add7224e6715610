#!/usr/bin/env bash
# Run by `npm test` before vitest: with MESHMCP_CLUSTER=1 (CI sets it) builds the cluster tier's tools (a failed
# tool makes the tests that need it fail, with the reason); otherwise says in one line whether the tier runs.
# vitest.config.ts makes the same decision (test/cluster/tools/tools.ts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "${MESHMCP_CLUSTER:-}" = "1" ]; then
  bash "$here/build.sh" || echo "cluster tier: some tools failed to build (above); the tests that need them will fail"
elif bash "$here/build.sh" --check; then
  echo "cluster tier: runs (tools built in $(bash "$here/build.sh" --print-dir))"
else
  echo "cluster tier: skipped (tools not built; run MESHMCP_CLUSTER=1 npm test or npm run test:cluster)"
fi
