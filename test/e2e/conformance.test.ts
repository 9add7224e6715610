// The official MCP conformance suite through the local mesh's gateway. /mcp/conformance must score what the
// conformance test server scores directly, for both revisions, so the gateway is judged as a proxy; the aggregated
// /mcp must pass every scenario that does not depend on the test server's own names (with the checks that do in
// conformance-aggregated-baseline.yaml). The suite cannot send credentials, so a loopback forwarder adds the
// gateway API key and passes everything else as sent.
// @module-tag openssl
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { failed, failures, required, results, runSuite } from '../support/conformanceSuite.js';
import { type Forwarder, startCredentialForwarder } from '../support/credentialForwarder.js';
import { type Mesh, startMesh } from './support/mesh.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

const AGGREGATED_BASELINE = path.resolve('test/e2e/conformance-aggregated-baseline.yaml');
/** The aggregated endpoint's scenarios, per revision: those the issue of record names, at each revision they apply to. */
const AGGREGATED: Array<[string, string]> = [
  ...['server-initialize', 'ping', 'logging-set-level', 'tools-list', 'prompts-list', 'resources-list'].map(
    (s) => [s, '2025-11-25'] as [string, string],
  ),
  ['dns-rebinding-protection', '2025-11-25'],
  ...['tools-list', 'prompts-list', 'resources-list', 'caching', 'http-header-validation', 'server-stateless'].map(
    (s) => [s, '2026-07-28'] as [string, string],
  ),
  ['dns-rebinding-protection', '2026-07-28'],
];

let mesh: Mesh;
let forwarder: Forwarder;
const dirs: string[] = [];

beforeAll(async () => {
  mesh = await startMesh({ prometheus: false });
  forwarder = await startCredentialForwarder(mesh.url.replace(/\/mcp$/, ''), ['x-api-key', mesh.adminKey]);
});

afterAll(async () => {
  await forwarder?.close();
  if (mesh) {
    const { code, output } = await mesh.stop();
    expect(code, output.slice(-3000)).toBe(0);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function outDir(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `conformance-${name}-`));
  dirs.push(d);
  return d;
}

describe('the conformance suite through the gateway', () => {
  it.each(['2025-11-25', '2026-07-28'])(
    '/mcp/conformance passes every scenario %s requires that the server passes directly',
    async (revision) => {
      const scenarios = required(revision);
      // The conformance server's own port: the second of the local mesh's MCP servers of their own.
      const direct = `http://127.0.0.1:${mesh.ports.upstream + 1}/mcp`;
      const directOut = outDir(`direct-${revision}`);
      const gatewayOut = outDir(`gateway-${revision}`);
      const [a, b] = await Promise.all([
        runSuite(['server', '--url', direct, '--requirements', revision, '-o', directOut]),
        runSuite(['server', '--url', `${forwarder.url}/mcp/conformance`, '--requirements', revision, '-o', gatewayOut]),
      ]);
      const straight = results(directOut, scenarios);
      const through = results(gatewayOut, scenarios);
      expect(
        scenarios.filter((s) => !straight.has(s) || !through.has(s)),
        `${a.output}\n${b.output}`,
      ).toEqual([]);
      const passDirect = scenarios.filter((s) => !failed(straight.get(s)!));
      const lost = passDirect.filter((s) => failed(through.get(s)!));
      expect(lost, JSON.stringify(failures(through, lost), null, 2)).toEqual([]);
      // The server passes them all directly (test/demo/conformanceServer.test.ts), so all pass through the gateway.
      expect(passDirect).toEqual(scenarios);
      // The gateway audited the suite's calls under the forwarder's key.
      expect(mesh.audit().some((l) => l.service === 'conformance' && l.client === 'dev-admin')).toBe(true);
    },
  );

  it("the aggregated /mcp passes the scenarios that do not depend on the test server's own names", async () => {
    const wrong: string[] = [];
    for (const [scenario, revision] of AGGREGATED) {
      const out = outDir(`aggregated-${scenario}`);
      const run = await runSuite([
        'server',
        ...['--url', `${forwarder.url}/mcp`, '--scenario', scenario, '--spec-version', revision],
        ...['--expected-failures', AGGREGATED_BASELINE, '-o', out],
      ]);
      const checks = results(out, [scenario]).get(scenario);
      if (run.code !== 0 || checks === undefined) {
        wrong.push(`${scenario} (${revision}): exit ${run.code}\n${run.output.slice(-2500)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
