// The official MCP conformance suite against demo/conformanceServer.ts, once per protocol revision: every scenario
// the revision requires passes, except those test/demo/conformance-baseline.yaml names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConformanceServer, startConformanceServer } from '../../demo/conformanceServer.js';
import { baseline as baselineOf, failed, failures, required, results, runSuite } from '../support/conformanceSuite.js';

const BASELINE = path.resolve('test/demo/conformance-baseline.yaml');
const baseline = () => baselineOf(BASELINE);

describe('conformance server under the official MCP conformance suite', () => {
  let server: RunningConformanceServer;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startConformanceServer({ port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each(['2025-11-25', '2026-07-28'])(
    'passes every scenario %s requires that the baseline does not name',
    async (revision) => {
      const out = mkdtempSync(path.join(tmpdir(), `conformance-${revision}-`));
      dirs.push(out);
      const run = await runSuite([
        'server',
        '--url',
        server.url,
        '--requirements',
        revision,
        '--expected-failures',
        BASELINE,
        '-o',
        out,
      ]);
      const scenarios = required(revision);
      const checks = results(out, scenarios);
      const expectedFailures = baseline().filter((s) => scenarios.includes(s));

      expect(
        scenarios.filter((s) => !checks.has(s)),
        'required scenarios that wrote no checks.json',
      ).toEqual([]);
      const failing = scenarios.filter((s) => failed(checks.get(s) ?? []));
      expect(failing.sort(), JSON.stringify(failures(checks, scenarios), null, 2)).toEqual(expectedFailures.sort());
      // --expected-failures makes the exit code 0 exactly when the required scenarios match the baseline.
      expect(run.code, run.output.slice(-4000)).toBe(0);
    },
    300_000,
  );
});
