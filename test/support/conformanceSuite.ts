// The official MCP conformance suite (npm @modelcontextprotocol/conformance) as a child process: its requirement
// sets, a run, and each scenario's checks read back from the output directory.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const SUITE = path.resolve('node_modules/@modelcontextprotocol/conformance');

export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

/** The scenarios a revision requires of a server, from the suite's own requirements file. */
export function required(revision: string): string[] {
  const doc = parse(readFileSync(path.join(SUITE, 'requirements', `${revision}.yaml`), 'utf8')) as { server: string[] };
  return doc.server;
}

/** Scenarios a baseline file (the suite's --expected-failures format) names for servers. */
export function baseline(file: string): string[] {
  return (parse(readFileSync(file, 'utf8')) as { server?: string[] } | null)?.server ?? [];
}

/** Runs the suite as a child process; resolves with its exit code and output. */
export function runSuite(args: string[]): Promise<{ code: number | null; output: string }> {
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

/** Each scenario's checks from the output directory (`server-<scenario>-<timestamp>/checks.json`). */
export function results(dir: string, scenarios: string[]): Map<string, Check[]> {
  const found = new Map<string, Check[]>();
  for (const entry of readdirSync(dir)) {
    const scenario = scenarios.find((s) => new RegExp(`^server-${s}-\\d{4}-\\d{2}-\\d{2}T`).test(entry));
    const file = path.join(dir, entry, 'checks.json');
    if (scenario && existsSync(file)) found.set(scenario, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
  }
  return found;
}

/** A scenario fails as the suite's baseline logic counts it: any FAILURE or WARNING check. */
export const failed = (checks: Check[]): boolean =>
  checks.some((c) => c.status === 'FAILURE' || c.status === 'WARNING');

/** The failing checks of the failing scenarios, for an assertion message. */
export function failures(checks: Map<string, Check[]>, scenarios: string[]): unknown[] {
  return scenarios
    .filter((s) => failed(checks.get(s) ?? []))
    .map((s) => ({
      scenario: s,
      checks: (checks.get(s) ?? []).filter((c) => c.status === 'FAILURE' || c.status === 'WARNING'),
    }));
}
