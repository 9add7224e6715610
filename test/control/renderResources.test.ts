// renderAll beyond the golden files: labels and content hashes, determinism whatever the input order, purity,
// VirtualService chunking for large namespaces, and the catalog invariants render refuses to break.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL, toYaml } from '../../control/managedObjects.js';
import { canonicalJson, parseRenderConfig, RenderError, renderAll } from '../../control/render/index.js';
import type { Catalog } from '../../control/types.js';
import { readRenderInput } from './support/golden.js';

const GOLDEN = join(import.meta.dirname, '../golden/render');

const { settings, policy } = parseRenderConfig(
  'gateway: { hosts: [mcp.example.com] }\nidentity: [{ mtls: {} }]\n',
  'mesh.yaml',
);
const generated = (services: number, namespaces: number, tools = 3): Catalog =>
  readRenderInput(`catalog: { generate: { services: ${services}, namespaces: ${namespaces}, tools: ${tools} } }`)
    .catalog;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const renderError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RenderError);
    return (e as Error).message;
  }
  throw new Error('expected a RenderError');
};

describe('renderAll', () => {
  it('labels every resource as managed and hashes its spec', () => {
    const resources = renderAll(generated(6, 2), policy, settings);
    for (const r of resources) {
      expect(r.metadata.labels?.[MANAGED_BY_LABEL]).toBe('meshmcp-control');
      expect(r.metadata.labels?.['app.kubernetes.io/part-of']).toBe('meshmcp');
      const expected = createHash('sha256').update(canonicalJson(r.spec)).digest('hex');
      expect(r.metadata.annotations?.[CONTENT_HASH_ANNOTATION]).toBe(expected);
    }
    const names = resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it("scopes the gateway filter to the MCP hosts' listener port, and to their SNI chain when TLS", () => {
    const gatewayPatch = (mesh: string, wasmPlugin = false) => {
      const p = parseRenderConfig(mesh, 'mesh.yaml');
      const all = renderAll(generated(1, 1), p.policy, p.settings, { wasmPlugin });
      const gw = all[all.length - 1]!.spec as Record<string, any>;
      return wasmPlugin ? gw['match'] : gw['configPatches'][0].match.listener;
    };
    const listener = gatewayPatch('gateway: { hosts: [mcp.example.com, mcp.example.org] }\nidentity: [{ mtls: {} }]\n');
    expect(listener.portNumber).toBe(8443);
    expect(listener.filterChain.sni).toBe('mcp.example.com');
    expect(listener.filterChain.filter.subFilter.name).toBe('envoy.filters.http.router');
    const plain = gatewayPatch(
      'gateway: { hosts: [mcp.example.com], port: 8080, tls: false }\nidentity: [{ mtls: {} }]\n',
    );
    expect(plain.portNumber).toBe(8080);
    expect(plain.filterChain.sni).toBeUndefined();
    expect(gatewayPatch('gateway: { hosts: [mcp.example.com], port: 9443 }\nidentity: [{ mtls: {} }]\n', true)).toEqual(
      [{ ports: [{ number: 9443 }] }],
    );
  });

  it('writes sidecar resources first, then the gateway header policy, the routes, and the gateway filter', () => {
    const all = renderAll(generated(4, 2), policy, settings);
    expect(all.map((r) => r.kind)).toEqual([
      ...Array(4).fill('AuthorizationPolicy'),
      ...Array(4).fill('EnvoyFilter'),
      'AuthorizationPolicy',
      'VirtualService',
      'VirtualService',
      'VirtualService',
      'EnvoyFilter',
    ]);
    const headers = all[8]!;
    expect(headers.metadata).toMatchObject({ name: 'meshmcp-gateway-headers', namespace: 'istio-system' });
    expect(headers.spec).toMatchObject({
      action: 'DENY',
      selector: { matchLabels: { istio: 'meshmcp-ingressgateway' } },
    });
    expect((headers.spec as { rules: unknown[] }).rules).toContainEqual({
      when: [{ key: 'request.headers[x-meshmcp-service]', values: ['*'] }],
    });
  });

  it('gives the same YAML whatever the order of services and tools, and leaves its input alone', () => {
    const catalog = generated(30, 4);
    const shuffled: Catalog = {
      services: [...catalog.services].reverse().map((s) => ({ ...s, tools: [...s.tools].reverse() })),
    };
    const expected = toYaml(renderAll(catalog, policy, settings));
    expect(
      toYaml(
        renderAll(deepFreeze(shuffled), deepFreeze(structuredClone(policy)), deepFreeze(structuredClone(settings))),
      ),
    ).toBe(expected);
  });

  it('changes the hash of only the objects a change touches', () => {
    const before = renderAll(generated(6, 3), policy, settings);
    const catalog = generated(6, 3);
    catalog.services[0]!.tools.pop();
    const after = renderAll(catalog, policy, settings);
    const hash = (r: (typeof before)[number]) => r.metadata.annotations![CONTENT_HASH_ANNOTATION];
    const changed = after.filter((r, i) => hash(r) !== hash(before[i]!)).map((r) => `${r.kind}/${r.metadata.name}`);
    // The service's own sidecar filter and the gateway's routing table; routes and policies stay as they were.
    expect(changed).toEqual([
      `EnvoyFilter/meshmcp-sidecar-${catalog.services[0]!.name}`,
      'EnvoyFilter/meshmcp-gateway',
    ]);
  });

  it('splits the routes of a large namespace into VirtualServices of at most 1000 routes', () => {
    const resources = renderAll(generated(2100, 1, 1), policy, settings);
    const routes = resources.filter((r) => r.kind === 'VirtualService' && r.metadata.name !== 'meshmcp-routes');
    expect(routes.map((r) => [r.metadata.name, (r.spec as any).http.length])).toEqual([
      ['meshmcp-routes-ns-1', 1000],
      ['meshmcp-routes-ns-1.2', 1000],
      ['meshmcp-routes-ns-1.3', 100],
    ]);
    const headers = routes.flatMap((r) =>
      (r.spec as any).http.map((h: any) => h.match[0].headers['x-meshmcp-service'].exact),
    );
    expect(new Set(headers).size).toBe(2100);
    for (const r of resources) expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(1024 * 1024);
  });

  it('writes YAML that reads back as the same objects', () => {
    const resources = renderAll(generated(5, 2), policy, settings, { wasmPlugin: true });
    const docs = parseAllDocuments(toYaml(resources)).map((d) => d.toJS());
    expect(docs).toEqual(JSON.parse(JSON.stringify(resources)));
    expect(parse(toYaml(resources.slice(0, 1)))).toEqual(JSON.parse(JSON.stringify(resources[0])));
  });

  it.each([
    [
      'a service without a selector',
      (c: Catalog) => {
        c.services[0]!.selector = {};
      },
      /service ns-2\/svc-0001 has no selector, so its sidecar filter and AuthorizationPolicy would apply to every workload/,
    ],
    [
      'a tool not named <route>__<tool>',
      (c: Catalog) => {
        c.services[0]!.tools[0]!.name = 'other__tool_01';
      },
      /tool "other__tool_01" is not named svc-0001__tool_01 within 64 characters/,
    ],
    [
      'two services with one route',
      (c: Catalog) => {
        c.services[1]!.route = 'svc-0001';
        for (const t of c.services[1]!.tools) t.name = `svc-0001__${t.tool}`;
      },
      /route "svc-0001" is also the route of service/,
    ],
    [
      'a tool listed twice',
      (c: Catalog) => {
        c.services[0]!.tools.push({ ...c.services[0]!.tools[0]! });
      },
      /tool "tool_01" is listed twice/,
    ],
    [
      'an upper-case host',
      (c: Catalog) => {
        c.services[0]!.host = 'Svc.example';
      },
      /host "Svc.example" is not a lower-case DNS name/,
    ],
  ])('refuses %s', (_what, spoil, message) => {
    const catalog = generated(3, 2);
    spoil(catalog);
    expect(renderError(() => renderAll(catalog, policy, settings))).toMatch(message);
  });

  it("adds the pod's own server as a cluster for a server that keeps sessions, with a WasmPlugin too", () => {
    const input = readRenderInput(readFileSync(join(GOLDEN, 'upstream-servers.in.yaml'), 'utf8'));
    const mesh = parseRenderConfig(input.configText, 'upstream-servers.in.yaml');
    const clusters = (wasmPlugin: boolean) =>
      renderAll(input.catalog, mesh.policy, mesh.settings, { wasmPlugin })
        .filter((r) => r.kind === 'EnvoyFilter')
        .flatMap((r) =>
          (r.spec!['configPatches'] as Array<Record<string, any>>)
            .filter((c) => c['applyTo'] === 'CLUSTER')
            .map((c) => [
              r.metadata.name,
              c['match'].context,
              c['patch'].value.name,
              c['patch'].value.load_assignment.endpoints,
            ]),
        );
    const expected = [
      [
        'meshmcp-sidecar-everything',
        'SIDECAR_INBOUND',
        'meshmcp-upstream',
        [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 3001 } } } }] }],
      ],
    ];
    // Only `everything` (2025-11-25): the 2026-07-28 server and the sidecar need no session opened for them.
    expect(clusters(false)).toEqual(expected);
    expect(clusters(true)).toEqual(expected);
  });

  it('refuses more services than the filter routing table holds', () => {
    expect(renderError(() => renderAll(generated(4097, 3, 0), policy, settings))).toMatch(
      /the catalog has 4097 services, above the filter's routing-table limit of 4096/,
    );
  });
});
