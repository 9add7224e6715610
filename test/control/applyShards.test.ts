// The Applier of one shard against apiMock, a MOCK kube-apiserver on loopback: it prunes only objects labelled with
// its shard (an unsharded one only those without the label), so shards and an unsharded control service in one
// cluster never prune each other's objects; it refuses to write another shard's objects, and to take over a
// namespace another shard manages, but takes over an unsharded control service's objects; and with
// concurrency it keeps render's stages in order while several requests are in flight. The same class runs against a
// real API server in test/cluster/shards.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Applier, ApplyError } from '../../control/apply/applier.js';
import { parseRenderConfig, renderAll } from '../../control/render/index.js';
import type { Catalog, Resource } from '../../control/types.js';
import { ROOT } from '../support/cli.js';
import { type ApiMock, testApiMock as mock } from './support/apiMock.js';
import { readRenderInput } from './support/golden.js';

const golden = (name: string) => readFileSync(join(ROOT, `test/golden/render/${name}.in.yaml`), 'utf8');
const east = readRenderInput(golden('sharded'));
const unsharded = readRenderInput(golden('basic-three-services'));

/** Shard west: east's configuration with its own gateway and shard name, serving the namespace checkout. */
const westConfig = east.configText
  .replace('shard: east', 'shard: west')
  .replaceAll('east.mcp.example.com', 'west.mcp.example.com')
  .replaceAll('meshmcp-ingressgateway-east', 'meshmcp-ingressgateway-west')
  .replace('meshmcp-gateway-east', 'meshmcp-gateway-west')
  .replace('meshmcp-east', 'meshmcp-west');
const westCatalog: Catalog = {
  services: [
    { ...east.catalog.services[0]!, namespace: 'checkout', host: 'payment-service-mcp.checkout.svc.cluster.local' },
  ],
};

function render(configText: string, catalog: Catalog): Resource[] {
  const { settings, policy } = parseRenderConfig(configText, 'test');
  return renderAll(catalog, policy, settings);
}

const id = (r: Resource) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`;
const ids = (rs: readonly Resource[]) => rs.map(id).sort();
const applier = (m: ApiMock, shard: string | undefined, namespaces: string[], concurrency?: number) =>
  new Applier({
    kubeConfig: m.kubeConfig(),
    scope: { namespaces },
    ...(shard === undefined ? {} : { shard }),
    ...(concurrency === undefined ? {} : { concurrency }),
  });

describe('Applier with shards', () => {
  it('prunes only its own shard: shard east with an empty catalog leaves west and the unsharded objects alone', async () => {
    const m = await mock();
    const eastResources = render(east.configText, east.catalog);
    const westResources = render(westConfig, westCatalog);
    const plain = render(unsharded.configText, unsharded.catalog);
    const eastApplier = applier(m, 'east', ['payments', 'storefront', 'east']);
    await eastApplier.apply(eastResources);
    await applier(m, 'west', ['checkout']).apply(westResources);
    await applier(m, undefined, ['production']).apply(plain);
    // Three sets of objects, none written over another (the gateway namespace's names carry the shard).
    const all = [...eastResources, ...westResources, ...plain];
    expect(new Set(all.map(id)).size).toBe(all.length);
    expect(m.ids()).toEqual(ids(all));

    // Shard east again, with every service gone: only its own objects are pruned; the catalog-independent ones stay.
    const emptied = render(east.configText, { services: [] });
    const report = await eastApplier.apply(emptied);
    const gone = eastResources.map(id).filter((x) => !emptied.map(id).includes(x));
    expect([...report.pruned].sort()).toEqual([...gone].sort());
    expect(m.ids()).toEqual(ids([...emptied, ...westResources, ...plain]));

    // The unsharded control service, emptied too, prunes only the objects without a shard label.
    const plainEmptied = render(unsharded.configText, { services: [] });
    await applier(m, undefined, ['production']).apply(plainEmptied);
    expect(m.ids()).toEqual(ids([...emptied, ...westResources, ...plainEmptied]));
  });

  it('refuses a namespace another shard manages, before any write, and takes over an unsharded one', async () => {
    const m = await mock();
    await applier(m, 'east', ['payments', 'storefront', 'east']).apply(render(east.configText, east.catalog));
    // West's slice wrongly includes east's namespace payments: the same sidecar objects, labelled west.
    const overlapping: Catalog = { services: [east.catalog.services[0]!] };
    const westResources = render(westConfig, overlapping);
    const before = m.requests.length;
    const err = await applier(m, 'west', ['checkout', 'payments'])
      .apply(westResources)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    const message = (err as Error).message;
    expect(message).toMatch(/ payments\/\S+ is managed by shard east, and this control service applies shard west/);
    expect(message).toContain('namespace payments is in both their allowed namespaces');
    expect(message).toContain("take it out of shard east's --allowed-namespaces first");
    // Nothing half-applied: reads only, and east's objects as they were.
    expect(m.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(m.ids()).toEqual(ids(render(east.configText, east.catalog)));
    // The same refusal for an unsharded control service over a shard's namespace.
    const plain = await applier(m, undefined, ['payments'])
      .apply(render(unsharded.configText, { services: [{ ...east.catalog.services[0]!, route: 'payment-service' }] }))
      .catch((e: unknown) => e);
    expect((plain as Error).message).toMatch(/is managed by shard east, and this control service applies unsharded/);

    // Sharding a mesh that ran unsharded: the shard takes over the unsharded objects in its namespaces.
    const n = await mock();
    const plainResources = render(unsharded.configText, unsharded.catalog);
    await applier(n, undefined, ['production']).apply(plainResources);
    const shardOfIt = east.configText;
    const takeover: Catalog = { services: unsharded.catalog.services };
    const report = await applier(n, 'east', ['production']).apply(render(shardOfIt, takeover));
    expect(report.applied.length).toBeGreaterThan(0);
  });

  it('a shard lists every managed object; the gateway filter of its shard is pruned first', async () => {
    const m = await mock();
    const a = applier(m, 'east', ['payments', 'storefront', 'east']);
    await a.apply(render(east.configText, east.catalog));
    const before = m.requests.length;
    const { settings, policy } = parseRenderConfig(east.configText, 'test');
    // The WasmPlugin flavour: the EnvoyFilter gateway filter of the shard is stale and goes first.
    const report = await a.apply(renderAll(east.catalog, policy, settings, { wasmPlugin: true }));
    expect(report.pruned[0]).toBe('EnvoyFilter istio-system/meshmcp-gateway.east');
    const lists = m.requests.slice(before).filter((x) => x.method === 'GET' && /^[A-Z]\w+ [a-z-]+$/.test(x.target));
    expect(lists.length).toBeGreaterThan(0);
    for (const r of lists) {
      expect(r.query['labelSelector']).toBe('app.kubernetes.io/managed-by=meshmcp-control');
    }
  });

  it('refuses to write objects rendered for another shard (or for none), before any request', async () => {
    const m = await mock();
    for (const [shard, resources] of [
      ['west', render(east.configText, east.catalog)],
      [undefined, render(east.configText, east.catalog)],
      ['east', render(unsharded.configText, unsharded.catalog)],
    ] as const) {
      const err = await applier(m, shard, [])
        .apply(resources)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplyError);
      expect((err as Error).message).toMatch(/was rendered for (shard east|no shard) but this control service applies/);
      expect((err as Error).message).toContain('render and apply with the same render configuration');
    }
    expect(m.requests).toEqual([]);
  });
});

describe('Applier with concurrency', () => {
  /** Each object's stage in render order: the index of its run of one kind of stage (lockdown, filters, routes…). */
  function runIndex(resources: readonly Resource[]): Map<string, number> {
    const rank = (r: Resource) =>
      r.kind === 'AuthorizationPolicy'
        ? 0
        : r.kind === 'VirtualService' || r.kind === 'DestinationRule'
          ? 2
          : r.metadata.name.startsWith('meshmcp-gateway')
            ? 3
            : 1;
    const out = new Map<string, number>();
    let run = 0;
    resources.forEach((r, i) => {
      if (i > 0 && rank(r) !== rank(resources[i - 1]!)) run++;
      out.set(id(r), run);
    });
    return out;
  }

  it('writes several at once within a stage, never a later stage before an earlier one has finished', async () => {
    const m = await mock();
    m.delayWrites(20);
    const resources = render(unsharded.configText, {
      services: Array.from({ length: 12 }, (_, i) => ({
        ...unsharded.catalog.services[0]!,
        route: `svc-${i}`,
        name: `svc-${i}`,
        host: `svc-${i}-mcp.production.svc.cluster.local`,
        selector: { app: `svc-${i}` },
        tools: [{ name: `svc-${i}__get_health`, tool: 'get_health', inputSchema: { type: 'object' } }],
      })),
    });
    const report = await applier(m, undefined, [], 4).apply(resources);
    // Reported in render order, whatever order the answers came in.
    expect(report.applied).toEqual(resources.map(id));
    expect(m.maxWritesInFlight).toBe(4);
    const runs = runIndex(resources);
    const arrived = m.writes().map((w) => runs.get(w.slice('PATCH '.length))!);
    expect(arrived).toEqual([...arrived].sort((a, b) => a - b));
    expect(m.writes().at(-1)).toBe('PATCH EnvoyFilter istio-system/meshmcp-gateway');

    // Pruning everything goes the other way, stage by stage, several at once too.
    const emptied = render(unsharded.configText, { services: [] });
    const before = m.writes().length;
    const pruned = await applier(m, undefined, ['production'], 4).apply(emptied);
    // 12 lockdowns, 12 sidecar filters and the namespace's routes.
    expect(pruned.pruned.length).toBe(25);
    const deletes = m
      .writes()
      .slice(before)
      .filter((w) => w.startsWith('DELETE'));
    const order = deletes.map((w) => (w.includes('VirtualService') ? 0 : w.includes('EnvoyFilter') ? 1 : 2));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(m.maxWritesInFlight).toBe(4);
  });

  it('a failed write in a stage starts nothing more: the gateway filter is not written and nothing is pruned', async () => {
    const m = await mock();
    m.delayWrites(5);
    const resources = render(unsharded.configText, unsharded.catalog);
    m.failPatch('EnvoyFilter', 'production', 'meshmcp-sidecar-payment-service', 422, 'spec: Invalid');
    const err = (await applier(m, undefined, ['production'], 8)
      .apply(resources)
      .catch((e: unknown) => e)) as ApplyError;
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.object).toBe('EnvoyFilter production/meshmcp-sidecar-payment-service');
    expect(err.message).toMatch(/failed \(422\): spec: Invalid; \d+ other object\(s\) were not written/);
    // The lockdown stage and the rest of the filters' stage were written; nothing after that stage.
    expect(m.writes().some((w) => w.includes('VirtualService') || w.includes('meshmcp-gateway'))).toBe(false);
    expect(err.report.applied).toEqual(
      resources
        .map(id)
        .filter((x) => x.startsWith('AuthorizationPolicy production/') || x.startsWith('EnvoyFilter production/'))
        .filter((x) => x !== err.object),
    );
    expect(err.report.pruned).toEqual([]);
  });

  it('refuses a concurrency that is not a whole number from 1', async () => {
    const m = await mock();
    expect(() => applier(m, undefined, [], 0)).toThrow(/whole number from 1/);
    expect(() => applier(m, undefined, [], 1.5)).toThrow(/whole number from 1/);
  });
});
