// `meshmcp render` as a user runs it: a services file with tools snapshots (or --collect from a real sidecar on
// loopback) and the mesh/policy file in, deterministic multi-document Istio YAML out.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { meshmcp } from '../support/cli.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { echoTool } from '../support/testTools.js';

const CONFIG = `
gateway: { hosts: [mcp.example.com] }
identity: [{ mtls: { sanPrefix: "spiffe://cluster.local/" } }]
policy: { default: deny, rules: [{ effect: allow, groups: [sre] }] }
`;
const SERVICES = `
services:
  - name: payment-service
    namespace: production
    tools: [get_health, { name: get_logs, description: Recent log lines, inputSchema: { type: object } }]
  - name: user-service
    namespace: staging
    selector: { app: users }
    tools: [get_health]
`;

let sidecar: TestSidecar | undefined;
afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
});

function files(config = CONFIG, services = SERVICES) {
  const dir = mkdtempSync(join(tmpdir(), 'meshmcp-render-'));
  writeFileSync(join(dir, 'config.yaml'), config);
  writeFileSync(join(dir, 'services.yaml'), services);
  return { dir, args: ['--config', join(dir, 'config.yaml'), '--services-file', join(dir, 'services.yaml')] };
}

const kindsOf = (yaml: string) =>
  parseAllDocuments(yaml).map((d) => {
    const o = d.toJS() as { kind: string; metadata: { namespace: string; name: string } };
    return `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
  });

describe('meshmcp render', () => {
  it('prints every resource in the safe order, the same bytes every time', async () => {
    const { args } = files();
    const first = await meshmcp(['render', ...args]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(kindsOf(first.stdout)).toEqual([
      'AuthorizationPolicy production/meshmcp-sidecar-payment-service',
      'AuthorizationPolicy staging/meshmcp-sidecar-user-service',
      'EnvoyFilter production/meshmcp-sidecar-payment-service',
      'EnvoyFilter staging/meshmcp-sidecar-user-service',
      'AuthorizationPolicy istio-system/meshmcp-gateway-headers',
      'VirtualService istio-system/meshmcp-routes',
      'VirtualService istio-system/meshmcp-routes-production',
      'VirtualService istio-system/meshmcp-routes-staging',
      'EnvoyFilter istio-system/meshmcp-gateway',
    ]);
    expect(first.stdout).toContain('"tools":["get_health","get_logs"]');
    expect((await meshmcp(['render', ...args])).stdout).toBe(first.stdout);
  });

  it('renders WasmPlugins on request and writes --output whole', async () => {
    const { dir, args } = files();
    const out = join(dir, 'mesh.yaml');
    const r = await meshmcp(['render', ...args, '--wasm-plugin', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(kindsOf(readFileSync(out, 'utf8')).filter((k) => k.startsWith('WasmPlugin'))).toHaveLength(3);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('collects the tools of a service without a snapshot from its sidecar with --collect', async () => {
    sidecar = await startTestSidecar([echoTool]);
    const { args } = files(CONFIG, `services:\n  - { name: echo-service, namespace: dev, url: "${sidecar.mcpUrl}" }\n`);
    const without = await meshmcp(['render', ...args]);
    expect(without.code).toBe(0);
    expect(without.stderr).toMatch(/1 service\(s\) have no tools snapshot.*--collect/);
    expect(without.stdout).toContain('"tools":[]');
    const collected = await meshmcp(['render', ...args, '--collect']);
    expect(collected.code).toBe(0);
    expect(collected.stdout).toContain(`"tools":[${JSON.stringify(echoTool.name)}]`);
    expect(collected.stderr).toMatch(/collecting tools of dev\/echo-service/);
  });

  it('names the file, the path and the fix for bad input, and writes no --output', async () => {
    const { dir, args } = files(CONFIG.replace('mcp.example.com', 'MCP EXAMPLE'));
    const out = join(dir, 'mesh.yaml');
    const r = await meshmcp(['render', ...args, '--output', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.yaml: gateway\.hosts\[0\]/);
    expect(readdirSync(dir)).not.toContain('mesh.yaml');
    const noServices = await meshmcp(['render', '--config', join(dir, 'config.yaml')]);
    expect(noServices.code).toBe(2);
    expect(noServices.stderr).toMatch(/--services-file \(or SERVICES_FILE\) is required/);
    const badService = files(CONFIG, 'services:\n  - { name: Bad_Name, namespace: production }\n');
    const bad = await meshmcp(['render', ...badService.args]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/services\.yaml: services\[0\]\.name/);
  });
});
