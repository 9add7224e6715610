// A mesh of 10,000 MCP services, more than one gateway routes, served as three shards by namespace, against a real
// kube-apiserver with Istio's real CRDs, as the meshmcp-control ServiceAccount (istio/base's grants, bound in each
// shard's namespaces as rbac-bindings.yaml binds them). The catalog is data (bench/dataCatalog.ts), each shard's
// the services of its own namespaces, as its control service's discovery would find them. Proves: the unsharded
// render is refused; each shard renders below the Kubernetes object size limit; the real applier of each shard gets
// every object accepted; a second apply writes nothing; shard east applied again with an empty catalog prunes only
// its own objects, the other shards' stay as they were. Prints how long each apply took (no timing is asserted).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataCatalog, NAMESPACES, SHARDS } from '../../bench/dataCatalog.js';
import { Applier, MANAGED_KINDS } from '../../control/apply/applier.js';
import { CONTROL_OPTIONS } from '../../control/flags.js';
import { parseRenderConfig, RenderError, renderAll } from '../../control/render/index.js';
import type { Resource } from '../../control/types.js';
import { ROOT } from '../support/cli.js';
import { type Cluster, startCluster } from './support/cluster.js';
import {
  applyObjects,
  CONTROL_NAMESPACE,
  CONTROL_SERVICE_ACCOUNT,
  listedObjects,
  type Mesh,
  prepareMesh,
} from './support/mesh.js';

const SERVICES = 10_000;
const GATEWAY_NAMESPACE = 'istio-system';
/** The Kubernetes object size limit this test holds every object under (etcd's own request limit is ~1.5 MB). */
const MAX_OBJECT_BYTES = 1024 * 1024;
/** What the control service applies with unless told otherwise (--apply-concurrency). */
const CONCURRENCY = CONTROL_OPTIONS.find((o) => o.flag === 'apply-concurrency')!.default as number;

const MESH_YAML = readFileSync(join(ROOT, 'istio/base/mesh.yaml'), 'utf8');

/** istio/base/mesh.yaml made one shard's: its name, and a gateway of its own (selector, Gateway, hosts). */
function shardConfig(shard: string | undefined) {
  let text = MESH_YAML;
  if (shard !== undefined) {
    for (const [from, to] of [
      ['selector: { istio: meshmcp-ingressgateway }', `selector: { istio: meshmcp-ingressgateway-${shard} }`],
      ['gatewayRef: istio-system/meshmcp-gateway ', `gatewayRef: istio-system/meshmcp-gateway-${shard} `],
      ['hosts: [mcp.example.com]', `hosts: [${shard}.mcp.example.com]`],
    ] as const) {
      if (!text.includes(from)) throw new Error(`istio/base/mesh.yaml no longer has ${JSON.stringify(from)}`);
      text = text.replace(from, to);
    }
    text = `shard: ${shard}\n${text}`;
  }
  return parseRenderConfig(text, `istio/base/mesh.yaml${shard === undefined ? '' : ` (shard ${shard})`}`);
}

let cluster: Cluster | undefined;
let mesh: Mesh;
const rendered = new Map<string, Resource[]>();

beforeAll(async () => {
  cluster = await startCluster();
  mesh = await prepareMesh(cluster);
  // The shards' namespaces, each granted to the control service as istio/base grants production.
  await applyObjects(
    mesh.admin,
    NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
  );
  await applyObjects(
    mesh.admin,
    NAMESPACES.map((namespace) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'meshmcp-control-istio', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'meshmcp-control-istio' },
      subjects: [{ kind: 'ServiceAccount', name: CONTROL_SERVICE_ACCOUNT, namespace: CONTROL_NAMESPACE }],
    })),
  );
});

afterAll(async () => {
  await cluster?.stop();
});

const id = (o: { kind: string; metadata: { namespace: string; name: string } }) =>
  `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;

const shardNamespaces = (shard: string) => SHARDS.find((s) => s.shard === shard)!.namespaces;

function applier(shard: string) {
  return new Applier({
    kubeConfig: mesh.control,
    shard,
    concurrency: CONCURRENCY,
    scope: { namespaces: [...shardNamespaces(shard), GATEWAY_NAMESPACE] },
  });
}

/** A shard's objects as the admin sees them, by id, with their resourceVersions. */
function liveOf(shard: string): Promise<Map<string, string>> {
  return listedObjects(
    mesh.admin,
    MANAGED_KINDS,
    [GATEWAY_NAMESPACE, ...shardNamespaces(shard)],
    `app.kubernetes.io/managed-by=meshmcp-control,meshmcp.io/shard=${shard}`,
  );
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await run();
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`cluster tier: shards: ${what} in ${s.toFixed(1)} s (apply concurrency ${CONCURRENCY})\n`);
  return out;
}

describe(`${SERVICES} MCP services as three shards by namespace, on a real kube-apiserver`, () => {
  it('unsharded, the 10,000 services are refused with the routing-table limit and the fix', () => {
    const { settings, policy } = shardConfig(undefined);
    const render = () => renderAll(dataCatalog(SERVICES), policy, settings);
    expect(render).toThrow(RenderError);
    expect(render).toThrow(
      /the catalog has 10000 services, above the filter's routing-table limit of 4096; .*shard the mesh by namespace/,
    );
  });

  it('each shard renders its namespaces below the object size limit, no object name shared between shards', () => {
    let services = 0;
    for (const { shard, namespaces } of SHARDS) {
      const { settings, policy } = shardConfig(shard);
      const catalog = dataCatalog(SERVICES, namespaces);
      services += catalog.services.length;
      const resources = renderAll(catalog, policy, settings);
      rendered.set(shard, resources);
      const sizes = resources.map((r) => Buffer.byteLength(JSON.stringify(r)));
      const largest = Math.max(...sizes);
      process.stdout.write(
        `cluster tier: shards: ${shard} renders ${catalog.services.length} services as ${resources.length} objects, ` +
          `${sizes.reduce((a, b) => a + b, 0)} bytes of JSON, the largest ${largest} bytes\n`,
      );
      expect(largest).toBeLessThan(MAX_OBJECT_BYTES);
      for (const r of resources) expect(r.metadata.labels?.['meshmcp.io/shard']).toBe(shard);
    }
    expect(services).toBe(SERVICES);
    const all = [...rendered.values()].flat().map(id);
    expect(new Set(all).size).toBe(all.length);
  });

  it("each shard's applier gets every object accepted by the real CRD schemas", async () => {
    for (const { shard } of SHARDS) {
      const resources = rendered.get(shard)!;
      const report = await timed(`applying ${shard}'s ${resources.length} objects`, () =>
        applier(shard).apply(resources),
      );
      expect(report.applied.length).toBe(resources.length);
      expect(report.pruned).toEqual([]);
    }
    for (const { shard } of SHARDS) {
      expect([...(await liveOf(shard)).keys()].sort()).toEqual(rendered.get(shard)!.map(id).sort());
    }
  }, 1_200_000);

  it('a second apply of each shard writes nothing', async () => {
    for (const { shard } of SHARDS) {
      const report = await timed(`re-applying ${shard} unchanged`, () => applier(shard).apply(rendered.get(shard)!));
      expect(report.applied).toEqual([]);
      expect(report.pruned).toEqual([]);
      expect(report.unchanged.length).toBe(rendered.get(shard)!.length);
    }
  }, 600_000);

  it('shard east applied again with an empty catalog prunes only its own objects', async () => {
    const others = SHARDS.filter((s) => s.shard !== 'east');
    const before = new Map(await Promise.all(others.map(async (s) => [s.shard, await liveOf(s.shard)] as const)));
    const { settings, policy } = shardConfig('east');
    const emptied = renderAll({ services: [] }, policy, settings);
    const report = await timed('pruning east to an empty catalog', () => applier('east').apply(emptied));
    const kept = new Set(emptied.map(id));
    expect([...report.pruned].sort()).toEqual(
      rendered
        .get('east')!
        .map(id)
        .filter((x) => !kept.has(x))
        .sort(),
    );
    expect([...(await liveOf('east')).keys()].sort()).toEqual([...kept].sort());
    // The other shards' objects are all there, none written again.
    for (const s of others) expect(await liveOf(s.shard)).toEqual(before.get(s.shard));
  }, 1_200_000);
});
