// The official MCP conformance suite against demo/conformanceServer.ts, once per protocol revision: every scenario
// the revision requires passes, except those test/demo/conformance-baseline.yaml names.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type RunningConformanceServer, startConformanceServer } from '../../demo/conformanceServer.js';

const SUITE = path.resolve('node_modules/@modelcontextprotocol/conformance');
const BASELINE = path.resolve('test/demo/conformance-baseline.yaml');

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

/** The scenarios a revision requires of a server, from the suite's own requirements file. */
function required(revision: string): string[] {
  const doc = parse(readFileSync(path.join(SUITE, 'requirements', `${revision}.yaml`), 'utf8')) as { server: string[] };
  return doc.server;
}

function baseline(): string[] {
  return (parse(readFileSync(BASELINE, 'utf8')) as { server?: string[] }).server ?? [];
}

/** Runs the suite as a child process; resolves with its exit code and output. */
function runSuite(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SUITE, 'dist/index.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Each scenario's checks from the output directory (`server-<scenario>-<timestamp>/checks.json`). A scenario fails
 * as the suite's baseline logic counts it: any FAILURE or WARNING check.
 */
function results(dir: string, scenarios: string[]): Map<string, Check[]> {
  const found = new Map<string, Check[]>();
  for (const entry of readdirSync(dir)) {
    const scenario = scenarios.find((s) => new RegExp(`^server-${s}-\\d{4}-\\d{2}-\\d{2}T`).test(entry));
    const file = path.join(dir, entry, 'checks.json');
    if (scenario && existsSync(file)) found.set(scenario, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
  }
  return found;
}

const failed = (checks: Check[]) => checks.some((c) => c.status === 'FAILURE' || c.status === 'WARNING');

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
      const details = failing.map((s) => ({
        scenario: s,
        checks: (checks.get(s) ?? []).filter((c) => c.status === 'FAILURE' || c.status === 'WARNING'),
      }));
      expect(failing.sort(), JSON.stringify(details, null, 2)).toEqual(expectedFailures.sort());
      // --expected-failures makes the exit code 0 exactly when the required scenarios match the baseline.
      expect(run.code, run.output.slice(-4000)).toBe(0);
    },
    300_000,
  );
});
