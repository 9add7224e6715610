// `meshmcp control` end to end, as a process: a services file naming real sidecars on loopback, the aggregated
// endpoint through the real SDK client, probes and metrics, the file edited under it, apply against a MOCK
// kube-apiserver (leader election, server-side apply, a shard's own Lease and objects, dry run), and a clean SIGTERM
// drain.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { meshmcp } from '../support/cli.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { echoTool } from '../support/testTools.js';
import { ApiMock } from './support/apiMock.js';
import { connectAs } from './support/controlApp.js';
import { type ControlProcess, eventually, startControlProcess } from './support/controlProcess.js';

const CONFIG = `
gateway:
  hosts: [mcp.example.com]
identity:
  - jwt: { metadataKey: payload, principalClaim: sub, groupsClaims: [groups] }
policy:
  default: deny
  rules:
    - { effect: allow, groups: [sre] }
`;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function workdir(): string {
  return mkdtempSync(join(tmpdir(), 'meshmcp-control-'));
}

/** Replaces the file by a rename, as editors and ConfigMap updates do. */
function writeFile(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function servicesYaml(sidecars: Array<{ name: string; s: TestSidecar }>): string {
  return `services:\n${sidecars
    .map(({ name, s }) => `  - { name: ${name}, namespace: production, url: "${s.mcpUrl}" }\n`)
    .join('')}`;
}

async function sidecar(): Promise<TestSidecar> {
  const s = await startTestSidecar([echoTool]);
  cleanups.push(() => s.close());
  return s;
}

async function control(args: string[]): Promise<ControlProcess> {
  const p = await startControlProcess(args);
  cleanups.push(() => p.stop());
  return p;
}

describe('meshmcp control', () => {
  it('serves the catalog of a services file, follows edits, reports metrics and drains on SIGTERM', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    const [a, b] = [await sidecar(), await sidecar()];
    const services = join(dir, 'services.yaml');
    writeFile(
      services,
      servicesYaml([
        { name: 'payment-service', s: a },
        { name: 'user-service', s: b },
      ]),
    );
    const p = await control(['--config', join(dir, 'config.yaml'), '--services-file', services]);
    await eventually(async () => (await fetch(`${p.base}/readyz`)).status === 200);
    expect((await fetch(`${p.base}/healthz`)).status).toBe(200);

    const client = await connectAs(`${p.base}/mcp`, '2026-07-28', 'bob', ['sre']);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        ...a.registry.list().map((t) => `payment-service__${t.name}`),
        ...b.registry.list().map((t) => `user-service__${t.name}`),
      ].sort(),
    );
    const nobody = await connectAs(`${p.base}/mcp`, '2025-11-25', 'mallory');
    expect((await nobody.listTools()).tools).toEqual([]);
    await nobody.close();

    const metrics = await (await fetch(`${p.base}/metrics`)).text();
    expect(metrics).toMatch(/^mcp_gateway_discovery_services_total 2$/m);
    expect(metrics).toMatch(/^mcp_gateway_sidecar_health\{service="user-service"\} 1$/m);
    expect(metrics).toMatch(/^mcp_gateway_catalog_build_seconds_count [1-9]/m);

    writeFile(services, servicesYaml([{ name: 'payment-service', s: a }]));
    await eventually(async () =>
      (await client.listTools({}, { cacheMode: 'bypass' })).tools.every((t) => t.name.startsWith('payment-service__')),
    );
    await client.close();

    expect(await p.stop()).toBe(0);
    expect(p.logs.some((l) => l['message'] === 'draining' && l['signal'] === 'SIGTERM')).toBe(true);
    expect(p.logs.at(-1)?.['message']).toBe('stopped');
  });

  it('applies the rendered resources as the lease holder, and releases the lease on SIGTERM', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    const a = await sidecar();
    writeFile(join(dir, 'services.yaml'), servicesYaml([{ name: 'payment-service', s: a }]));
    const api = await new ApiMock().start();
    cleanups.push(() => api.close());
    writeFileSync(join(dir, 'kubeconfig'), api.kubeConfig().exportConfig());
    const p = await control([
      '--config',
      join(dir, 'config.yaml'),
      '--services-file',
      join(dir, 'services.yaml'),
      '--apply',
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--identity',
      'replica-a',
    ]);
    await p.waitForLog((l) => l['message'] === 'Istio resources applied');
    expect(api.ids()).toEqual(
      expect.arrayContaining([
        'AuthorizationPolicy production/meshmcp-sidecar-payment-service',
        'EnvoyFilter production/meshmcp-sidecar-payment-service',
        'EnvoyFilter istio-system/meshmcp-gateway',
      ]),
    );
    const lease = api.get('Lease', 'meshmcp-system', 'meshmcp-control') as { spec?: { holderIdentity?: string } };
    expect(lease?.spec?.holderIdentity).toBe('replica-a');
    const metrics = await (await fetch(`${p.base}/metrics`)).text();
    expect(metrics).toMatch(/^mcp_gateway_apply_total\{result="ok"\} [1-9]/m);
    expect(await p.stop()).toBe(0);
    const released = api.get('Lease', 'meshmcp-system', 'meshmcp-control') as { spec?: { holderIdentity?: string } };
    expect(released?.spec?.holderIdentity ?? '').toBe('');
  });

  it("a shard's control service leads through a Lease of its own and applies only its shard's objects", async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'config.yaml'), `shard: east\n${CONFIG}`);
    const a = await sidecar();
    writeFile(join(dir, 'services.yaml'), servicesYaml([{ name: 'payment-service', s: a }]));
    const api = await new ApiMock().start();
    cleanups.push(() => api.close());
    // Another shard's gateway filter in the shared gateway namespace: never read, written or pruned by east.
    api.put({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: {
        name: 'meshmcp-gateway.west',
        namespace: 'istio-system',
        labels: { 'app.kubernetes.io/managed-by': 'meshmcp-control', 'meshmcp.io/shard': 'west' },
      },
      spec: {},
    });
    writeFileSync(join(dir, 'kubeconfig'), api.kubeConfig().exportConfig());
    const p = await control([
      ...['--config', join(dir, 'config.yaml'), '--services-file', join(dir, 'services.yaml')],
      ...['--apply', '--kubeconfig', join(dir, 'kubeconfig'), '--identity', 'replica-a'],
    ]);
    await p.waitForLog((l) => l['message'] === 'Istio resources applied');
    const lease = api.get('Lease', 'meshmcp-system', 'meshmcp-control-east') as { spec?: { holderIdentity?: string } };
    expect(lease?.spec?.holderIdentity).toBe('replica-a');
    expect(api.get('Lease', 'meshmcp-system', 'meshmcp-control')).toBeUndefined();
    expect(api.get('EnvoyFilter', 'istio-system', 'meshmcp-gateway.east')?.metadata.labels?.['meshmcp.io/shard']).toBe(
      'east',
    );
    expect(api.ids('EnvoyFilter')).toContain('EnvoyFilter istio-system/meshmcp-gateway.west');
    expect(api.writes().some((w) => w.includes('.west'))).toBe(false);
    expect(await p.stop()).toBe(0);
  });

  it('prints the diff in a dry run and writes nothing', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    const a = await sidecar();
    writeFile(join(dir, 'services.yaml'), servicesYaml([{ name: 'payment-service', s: a }]));
    const api = await new ApiMock().start();
    cleanups.push(() => api.close());
    writeFileSync(join(dir, 'kubeconfig'), api.kubeConfig().exportConfig());
    const p = await control([
      ...['--config', join(dir, 'config.yaml'), '--services-file', join(dir, 'services.yaml')],
      ...['--dry-run', '--kubeconfig', join(dir, 'kubeconfig')],
    ]);
    await p.waitForLog((l) => l['message'] === 'dry run: these changes would be applied');
    expect(p.stdout.join('\n')).toMatch(/\+ create EnvoyFilter istio-system\/meshmcp-gateway/);
    expect(api.writes()).toEqual([]);
  });

  it('refuses bad settings with exit code 2 and a message naming the fix', async () => {
    const missing = await meshmcp(['control']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--config \(or MESHMCP_CONFIG\) is required/);
    const dir = workdir();
    writeFileSync(join(dir, 'bad.yaml'), 'gateway: { hosts: [mcp.example.com] }\nidentity: []\n');
    const bad = await meshmcp(['control', '--config', join(dir, 'bad.yaml'), '--services-file', 'x.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml: identity/);
    const help = await meshmcp(['control', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--allowed-namespaces <string>/);
  });
});
