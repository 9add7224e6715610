// Render + apply against a real kube-apiserver with Istio's real CRDs, as the meshmcp-control ServiceAccount with
// only istio/base's grants. The catalog is collected from real sidecars on loopback: discovery finds their Services
// in the API server and collects from the sidecars through its urlOverrides (an EndpointSlice cannot hold a loopback
// address). Proves: every rendered resource is accepted (schema
// and validation rules), a second apply writes nothing, a change updates, a removed service is pruned, a dry run
// writes nothing, and the EnvoyFilter ↔ WasmPlugin switch replaces one flavour with the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Applier, ApplyError, type ApplyReport, MANAGED_KINDS } from '../../control/apply/applier.js';
import { ApplyLoop } from '../../control/apply/applyLoop.js';
import { CatalogRunner } from '../../control/catalog/runner.js';
import { KubernetesDiscovery } from '../../control/discovery/kubernetes.js';
import { parseRenderConfig, renderAll } from '../../control/render/index.js';
import type { Catalog, DiscoveredService, Resource } from '../../control/types.js';
import type { Tool } from '../../sidecar/types.js';
import { ROOT } from '../support/cli.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { echoTool } from '../support/testTools.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { listedObjects, MESH_NAMESPACES, type Mesh, prepareMesh, waitUntil } from './support/mesh.js';
import { endpointSlice, mcpService, objects } from './support/objects.js';

const meshConfig = parseRenderConfig(readFileSync(join(ROOT, 'istio/base/mesh.yaml'), 'utf8'), 'istio/base/mesh.yaml');

const tool = (name: string, description: string): Tool => ({ ...echoTool, name, description });

let cluster: Cluster | undefined;
let mesh: Mesh;
const sidecars = new Map<string, TestSidecar>();
let discovery: KubernetesDiscovery | undefined;
let discovered: DiscoveredService[] = [];
let runner: CatalogRunner;

/** Starts (or restarts, on the same loopback port, so the discovered url stays) the sidecar of a service. */
async function sidecar(namespace: string, name: string, tools: Tool[]): Promise<void> {
  const old = sidecars.get(`${namespace}/${name}`);
  const port = old ? new URL(old.url).port : '0';
  await old?.close();
  sidecars.set(`${namespace}/${name}`, await startTestSidecar(tools, ['--service-name', name, '--port', port]));
}

beforeAll(async () => {
  cluster = await startCluster();
  mesh = await prepareMesh(cluster);
  const admin = objects(mesh.admin);
  await sidecar('production', 'payment-service', [tool('get_health', 'Health of the payment service')]);
  await sidecar('staging', 'user-service', [tool('get_health', 'Health'), tool('get_user', 'Looks up a user')]);
  for (const [ns, name, address] of [
    ['production', 'payment-service', '10.0.0.1'],
    ['staging', 'user-service', '10.0.0.2'],
  ] as const) {
    await admin.put(mcpService(name, ns));
    await admin.put(endpointSlice(name, ns, true, address));
  }
  runner = new CatalogRunner({ reserved: [meshConfig.settings.control.route], limits: { timeoutMs: 10_000 } });
  discovery = new KubernetesDiscovery({
    kubeConfig: mesh.control,
    namespaces: ['production', 'staging'],
    backoff: { initialMs: 200, maxMs: 2_000 },
    urlOverrides: Object.fromEntries([...sidecars].map(([key, s]) => [key, s.mcpUrl])),
  });
  await discovery.start((s) => {
    discovered = s;
  });
});

afterAll(async () => {
  await discovery?.stop();
  await runner?.stop();
  for (const s of sidecars.values()) await s.close();
  await cluster?.stop();
});

/** Waits until discovery shows exactly these services ready, then collects their tools from the sidecars. */
async function catalogOf(keys: string[]): Promise<Catalog> {
  const want = [...keys].sort().join(',');
  await waitUntil(`discovery showing ${want}`, async () => {
    const got = discovered
      .filter((s) => s.ready)
      .map((s) => `${s.namespace}/${s.name}`)
      .sort()
      .join(',');
    return got === want;
  });
  await runner.update(discovered);
  // A sidecar restarted with other tools keeps its url: collect every service anew, as CACHE_TTL would. The first
  // round after a restart may meet the old server's pooled connection ("other side closed"); the next one succeeds.
  const catalog = await waitUntil(
    'every sidecar answering tools/list',
    async () => {
      await runner.refreshNow();
      const c = runner.current();
      const failing = c?.services.filter((s) => !s.health.healthy) ?? [];
      if (failing.length > 0)
        throw new Error(failing.map((s) => `${s.namespace}/${s.name}: ${s.health.error}`).join('; '));
      return c;
    },
    30_000,
  );
  return catalog;
}

const render = (catalog: Catalog, wasmPlugin = false) =>
  renderAll(catalog, meshConfig.policy, meshConfig.settings, { wasmPlugin });

const applier = (kc: KubeConfig = mesh.control) =>
  new Applier({ kubeConfig: kc, scope: { namespaces: ['production', 'staging'] } });

/** Every object labelled as ours, by id, with its resourceVersion: what the admin sees in the cluster. */
function managedInCluster(): Promise<Map<string, string>> {
  return listedObjects(mesh.admin, MANAGED_KINDS, MESH_NAMESPACES, 'app.kubernetes.io/managed-by=meshmcp-control');
}

const ids = (resources: readonly Resource[]) =>
  resources.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`).sort();

describe('render + apply against a real kube-apiserver with Istio CRDs, as the meshmcp-control ServiceAccount', () => {
  it('a dry run on an empty cluster reports every object as a creation and writes nothing', async () => {
    const resources = render(await catalogOf(['production/payment-service', 'staging/user-service']));
    const report = await applier().apply(resources, { dryRun: true });
    expect([...report.applied].sort()).toEqual(ids(resources));
    expect(report.diff).toContain('+ create AuthorizationPolicy production/');
    expect((await managedInCluster()).size).toBe(0);
  });

  it('applies every rendered resource (the real CRD schemas accept them); a second apply writes nothing', async () => {
    const resources = render(await catalogOf(['production/payment-service', 'staging/user-service']));
    const kinds = new Set(resources.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['AuthorizationPolicy', 'EnvoyFilter', 'VirtualService']);
    const first = await applier().apply(resources);
    expect([...first.applied].sort()).toEqual(ids(resources));
    expect(first.pruned).toEqual([]);
    const live = await managedInCluster();
    expect([...live.keys()].sort()).toEqual(ids(resources));

    // Read back one object as the admin: server-side apply recorded our field manager.
    const client = KubernetesObjectApi.makeApiClient(mesh.admin);
    const gateway = resources.at(-1)!;
    const back = await client.read(gateway as KubernetesObject & { metadata: { name: string } });
    expect(back.metadata?.managedFields?.map((f) => f.manager)).toContain('meshmcp-control');

    const second = await applier().apply(resources);
    expect(second.applied).toEqual([]);
    expect(second.pruned).toEqual([]);
    expect([...second.unchanged].sort()).toEqual(ids(resources));
    expect(await managedInCluster()).toEqual(live);
  });

  it('a changed catalog updates only what changed', async () => {
    const before = await managedInCluster();
    await sidecar('staging', 'user-service', [
      tool('get_health', 'Health'),
      tool('get_user', 'Looks up a user'),
      tool('list_sessions', 'Lists the sessions of a user'),
    ]);
    const catalog = await catalogOf(['production/payment-service', 'staging/user-service']);
    expect(catalog.services.find((s) => s.name === 'user-service')?.tools.map((t) => t.tool)).toContain(
      'list_sessions',
    );
    const resources = render(catalog);
    const report = await applier().apply(resources);
    expect(report.applied.length).toBeGreaterThan(0);
    expect(report.unchanged.length).toBeGreaterThan(0);
    expect(report.pruned).toEqual([]);
    const after = await managedInCluster();
    for (const [id, rv] of before) {
      if (report.applied.includes(id)) expect(after.get(id), id).not.toBe(rv);
      else expect(after.get(id), id).toBe(rv);
    }
  });

  it('a dry run of a removal reports the prune and the diff, and writes nothing', async () => {
    const before = await managedInCluster();
    await objects(mesh.admin).put(mcpService('user-service', 'staging', 3000, { 'mcp-enabled': 'false' }));
    const resources = render(await catalogOf(['production/payment-service']));
    const report = await applier().apply(resources, { dryRun: true });
    expect(report.pruned.length).toBeGreaterThan(0);
    expect(report.pruned.filter((id) => !/staging|user-service/.test(id))).toEqual([]);
    expect(report.diff).toContain('- prune ');
    expect(await managedInCluster()).toEqual(before);
  });

  it('a removed service is pruned: its objects are deleted, the others stay', async () => {
    const before = await managedInCluster();
    const resources = render(await catalogOf(['production/payment-service']));
    const report = await applier().apply(resources);
    expect(report.pruned.length).toBeGreaterThan(0);
    const after = await managedInCluster();
    expect([...after.keys()].sort()).toEqual(ids(resources));
    for (const id of report.pruned) {
      expect(before.has(id), id).toBe(true);
      expect(after.has(id), id).toBe(false);
    }
  });

  it('the WasmPlugin flavour is accepted too, and the switch prunes the EnvoyFilters (and back)', async () => {
    const catalog = await catalogOf(['production/payment-service']);
    const wasm = render(catalog, true);
    expect(wasm.some((r) => r.kind === 'WasmPlugin')).toBe(true);
    const report = await applier().apply(wasm);
    expect(report.pruned.some((id) => id.startsWith('EnvoyFilter '))).toBe(true);
    expect([...(await managedInCluster()).keys()].sort()).toEqual(ids(wasm));
    const back = render(catalog, false);
    const again = await applier().apply(back);
    expect(again.pruned.some((id) => id.startsWith('WasmPlugin '))).toBe(true);
    expect([...(await managedInCluster()).keys()].sort()).toEqual(ids(back));
  });

  it('an MCP server of its own: its session DestinationRule lands in the gateway namespace and its cluster in its pod filter, and leave with it', async () => {
    const catalog = await catalogOf(['production/payment-service']);
    const asServer: Catalog = {
      services: catalog.services.map((s) =>
        s.route === 'payment-service' ? { ...s, upstream: { path: '/mcp', protocols: ['2025-11-25'] } } : s,
      ),
    };
    const withRule = render(asServer);
    const rule = withRule.find((r) => r.kind === 'DestinationRule');
    expect(rule?.metadata).toMatchObject({ name: 'meshmcp-session-payment-service', namespace: 'istio-system' });
    // Its pod's EnvoyFilter also adds the cluster its proxy opens sessions on; the real CRD schema takes the patch.
    const podFilter = withRule.find((r) => r.kind === 'EnvoyFilter' && r.metadata.namespace === 'production');
    expect(JSON.stringify(podFilter?.spec)).toContain('"applyTo":"CLUSTER"');
    const report = await applier().apply(withRule);
    expect(report.applied).toContain('DestinationRule istio-system/meshmcp-session-payment-service');
    expect(report.applied).toContain('EnvoyFilter production/meshmcp-sidecar-payment-service');
    expect([...(await managedInCluster()).keys()].sort()).toEqual(ids(withRule));
    const back = render(catalog);
    const again = await applier().apply(back);
    expect(again.pruned).toContain('DestinationRule istio-system/meshmcp-session-payment-service');
    expect([...(await managedInCluster()).keys()].sort()).toEqual(ids(back));
  });

  it('the CRD validation is real: an AuthorizationPolicy with an unknown action is refused (422)', async () => {
    const resources = render(await catalogOf(['production/payment-service']));
    const policy = structuredClone(resources.find((r) => r.kind === 'AuthorizationPolicy')!);
    policy.metadata.name = 'meshmcp-cluster-test-invalid';
    (policy.spec as Record<string, unknown>)['action'] = 'NOT_AN_ACTION';
    const err = await applier()
      .apply([policy])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).status).toBe(422);
    // The failed run pruned nothing: everything applied before is still there.
    expect([...(await managedInCluster()).keys()].sort()).toEqual(ids(resources));
  });

  it('the API server down during apply, then back: each failure is reported and retried, then every object lands', async () => {
    const catalog = await catalogOf(['production/payment-service']);
    const before = [...(await managedInCluster()).keys()].sort();
    const desired = render(catalog, true); // the WasmPlugin flavour: creations and prunes to make
    const errors: string[] = [];
    let applied: ApplyReport | undefined;
    const loop = new ApplyLoop({
      apply: (r) => applier().apply(r),
      isLeader: () => true,
      backoff: { initialMs: 200, maxMs: 1_000 },
      onError: (err) => errors.push((err as Error).message),
      onApplied: (report) => {
        applied = report;
      },
    });
    await cluster!.stopApiServer();
    try {
      loop.offer(desired);
      await waitUntil('three failed applies', async () => errors.length >= 3, 30_000);
      expect(applied).toBeUndefined();
    } finally {
      await cluster!.startApiServer();
    }
    await waitUntil('the apply after the API server is back', async () => applied !== undefined, 60_000);
    await loop.stop();
    // Every failure named the problem, and nothing was half-applied: the cluster went from before to desired.
    for (const e of errors) expect(e.length).toBeGreaterThan(0);
    expect(before).not.toEqual(ids(desired));
    expect([...(await managedInCluster()).keys()].sort()).toEqual(ids(desired));
    expect(applied!.pruned.some((id) => id.startsWith('EnvoyFilter '))).toBe(true);
    // And back, for whatever runs after.
    await applier().apply(render(catalog, false));
  });
});
