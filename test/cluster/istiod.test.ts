// What istiod makes of meshmcp's resources: `meshmcp render` output with istio/gateway and istio/security, plus a
// second site (shop.example.com) on the same gateway, through istiod's own config generation (meshmcp-istiod).
// Asserts on the listeners, filter chains and routes Envoy would receive: the filter only in the MCP host's chain,
// after jwt_authn and Istio's authn and before the router, with the rendered settings; header routes to the right
// clusters whichever order Istio merges the VirtualServices in; the sidecar filter and the DENY policy on the MCP
// port only; the WasmPlugin flavour; and no patch that matches nothing.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { meshmcp, ROOT } from '../support/cli.js';
import {
  chains,
  chainsWithFilter,
  destination,
  EVERYTHING_PROXY,
  FIXTURES,
  GATEWAY_PROXY,
  httpFilter,
  httpFilterNames,
  type IstiodOutput,
  type Json,
  listenerOnPort,
  PAYMENT_PROXY,
  type Request,
  rdsName,
  routeConfigNamed,
  routeFor,
  runIstiod,
  USER_PROXY,
} from './support/istiod.js';

const work = mkdtempSync(join(tmpdir(), 'meshmcp-istiod-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MESH = join(ROOT, 'istio/base/mesh.yaml');
// The RequestAuthentication's jwksUri becomes an inline key set: istiod would otherwise fetch the issuer's keys
// over the network (and, failing, make up a random key, so no two runs would generate the same config).
const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const JWKS = JSON.stringify({
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' }],
});
function inlineJwks(text: string): string {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Json)
    .map((d) => {
      for (const rule of d.spec.jwtRules ?? []) {
        delete rule.jwksUri;
        rule.jwks = JWKS;
      }
      return stringify(d);
    })
    .join('---\n');
}
const STATIC = [
  'istio/gateway/gateway.yaml',
  'istio/gateway/virtualservice.yaml',
  'istio/security/peerauthentication.yaml',
  'istio/security/authorizationpolicy.yaml',
  'istio/security/requestauthentication.yaml',
].map((f) => inlineJwks(readFileSync(join(ROOT, f), 'utf8')));
const SHOP = readFileSync(join(FIXTURES, 'shop.yaml'), 'utf8');

const CONTROL = 'outbound|8080||meshmcp-control.platform-tools.svc.cluster.local';
const PAYMENT = 'outbound|3000||payment-service-mcp.production.svc.cluster.local';
const USER = 'outbound|3000||user-service-mcp.production.svc.cluster.local';
const SHOP_CLUSTER = 'outbound|8080||shop.shop.svc.cluster.local';
const EVERYTHING = 'outbound|3001||everything-mcp.tools.svc.cluster.local';

async function render(args: string[], meshYaml?: string): Promise<string> {
  let config = MESH;
  if (meshYaml !== undefined) {
    config = join(work, `mesh-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(config, meshYaml);
  }
  const r = await meshmcp(['render', '--config', config, '--services-file', join(FIXTURES, 'services.yaml'), ...args]);
  if (r.code !== 0) throw new Error(`meshmcp render failed: ${r.stderr}`);
  return r.stdout;
}

/** Every document of the inputs, with creationTimestamp set per kind+name (Istio merges VirtualServices by age). */
function configs(docs: string[], age: (kind: string, name: string) => string | undefined = () => undefined): string {
  return docs
    .flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as Json))
    .filter((d) => d && typeof d === 'object')
    .map((d) => {
      const ts = age(d.kind, d.metadata.name);
      if (ts) d.metadata.creationTimestamp = ts;
      return stringify(d);
    })
    .join('---\n');
}

const MCP = 'mcp.example.com';
const PROBES: Array<[string, Request]> = [
  ['POST /mcp, no header', { authority: MCP, path: '/mcp' }],
  ['POST /mcp, control', { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': 'meshmcp-control' } }],
  ['POST /mcp, payment-service', { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': 'payment-service' } }],
  ['POST /mcp, user-service', { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': 'user-service' } }],
  ['POST /mcp, everything', { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': 'everything' } }],
  ['POST /mcp, unknown', { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': 'no-such-service' } }],
  ['POST /mcp, empty', { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': '' } }],
  ['GET metadata', { authority: MCP, path: '/.well-known/oauth-protected-resource', method: 'GET' }],
  [
    'POST /mcp with port',
    { authority: `${MCP}:443`, path: '/mcp', headers: { 'x-meshmcp-service': 'payment-service' } },
  ],
];
const EXPECTED: Record<string, string> = {
  'POST /mcp, no header': CONTROL,
  'POST /mcp, control': CONTROL,
  'POST /mcp, payment-service': PAYMENT,
  'POST /mcp, user-service': USER,
  'POST /mcp, everything': EVERYTHING,
  'POST /mcp, unknown': 'no route',
  'POST /mcp, empty': 'no route',
  'GET metadata': CONTROL,
  'POST /mcp with port': PAYMENT,
};

/** The 8443 filter chain of the gateway whose SNI names hold `host`. */
function sniChain(out: IstiodOutput, host: string): Json {
  const l = listenerOnPort(out.proxies['gateway']!, 8443);
  expect(l, 'the gateway has a listener on 8443 (the targetPort of the Service port 443)').toBeDefined();
  const c = chains(l).find((ch) => (ch.filterChainMatch?.serverNames ?? []).includes(host));
  expect(c, `a filter chain on 8443 for SNI ${host}`).toBeDefined();
  return c;
}

function answers(out: IstiodOutput): Record<string, string> {
  const rc = routeConfigNamed(out.proxies['gateway']!, rdsName(sniChain(out, MCP))!);
  return Object.fromEntries(PROBES.map(([name, req]) => [name, destination(rc, req)]));
}

describe('istiod over the rendered EnvoyFilters', () => {
  let rendered: string;
  let out: IstiodOutput;

  beforeAll(async () => {
    rendered = await render([]);
    out = await runIstiod({
      configs: configs([rendered, ...STATIC, SHOP]),
      proxies: [GATEWAY_PROXY, PAYMENT_PROXY, USER_PROXY, EVERYTHING_PROXY],
      checkPatches: true,
    });
  });

  it('puts the gateway filter in the MCP host chain only: not in the other site, not on port 80', () => {
    const gw = out.proxies['gateway']!;
    const hits = chainsWithFilter(gw, 'meshmcp-gateway');
    expect(hits.map((h) => [h.listener.name, h.chain.filterChainMatch?.serverNames])).toEqual([
      ['0.0.0.0_8443', [MCP]],
    ]);
    expect(httpFilterNames(sniChain(out, 'shop.example.com'))).not.toContain('meshmcp-gateway');
    // The other site is served as before, on both ports.
    const shopRoutes = routeConfigNamed(gw, rdsName(sniChain(out, 'shop.example.com'))!);
    expect(destination(shopRoutes, { authority: 'shop.example.com', path: '/cart', method: 'GET' })).toBe(SHOP_CLUSTER);
    const plain = listenerOnPort(gw, 8080);
    expect(plain, 'the gateway listens on 8080 behind 80').toBeDefined();
    for (const c of chains(plain)) expect(httpFilterNames(c)).not.toContain('meshmcp-gateway');
  });

  it("runs it after jwt_authn and Istio's RBAC, before the router", () => {
    // Istio 1.31 has no istio_authn filter: authentication is jwt_authn, authorization the RBAC filter.
    const names = httpFilterNames(sniChain(out, MCP));
    const at = (n: string) => names.indexOf(n);
    expect(at('envoy.filters.http.jwt_authn'), names.join(' ')).toBeGreaterThanOrEqual(0);
    expect(at('envoy.filters.http.rbac'), names.join(' ')).toBeGreaterThanOrEqual(0);
    expect(at('meshmcp-gateway')).toBeGreaterThan(at('envoy.filters.http.jwt_authn'));
    expect(at('meshmcp-gateway')).toBeGreaterThan(at('envoy.filters.http.rbac'));
    expect(at('envoy.filters.http.router')).toBe(names.length - 1);
    expect(at('meshmcp-gateway')).toBeLessThan(at('envoy.filters.http.router'));
  });

  it('refuses client-set x-meshmcp-* headers in the RBAC filter, before the meshmcp filter could be missed', () => {
    const rbac = httpFilter(sniChain(out, MCP), 'envoy.filters.http.rbac').typedConfig.rules;
    expect(rbac.action).toBe('DENY');
    const policies = Object.keys(rbac.policies).filter((k) => k.includes('policy[meshmcp-gateway-headers]'));
    expect(policies.length, Object.keys(rbac.policies).join(', ')).toBe(5);
    const text = JSON.stringify(policies.map((k) => rbac.policies[k]));
    for (const h of ['service', 'tool', 'principal', 'groups', 'request-id']) expect(text).toContain(`x-meshmcp-${h}`);
    expect(text).toContain('"presentMatch":true');
  });

  it('gives Envoy the rendered settings: stop iteration allowed, fail closed, the module file and vm_id', () => {
    const f = httpFilter(sniChain(out, MCP), 'meshmcp-gateway');
    expect(f.typedConfig['@type']).toBe('type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
    const c = f.typedConfig.config;
    expect(c.allowOnHeadersStopIteration).toBe(true);
    expect(c.failOpen ?? false).toBe(false);
    expect(c.rootId).toBe('meshmcp');
    expect(c.vmConfig.vmId).toBe('meshmcp-gateway');
    expect(c.vmConfig.runtime).toBe('envoy.wasm.runtime.v8');
    expect(c.vmConfig.code.local.filename).toBe('/etc/istio/extensions/meshmcp.wasm');
    // The session keys reach the VM from the gateway's environment, not from the object.
    expect(c.vmConfig.environmentVariables).toEqual({ hostEnvKeys: ['MESHMCP_SESSION_KEYS'] });
    const ef = parseAllDocuments(rendered)
      .map((d) => d.toJS() as Json)
      .find((d) => d.kind === 'EnvoyFilter' && d.metadata.name === 'meshmcp-gateway');
    const renderedValue = ef.spec.configPatches[0].patch.value.typed_config.config.configuration.value;
    expect(c.configuration.value).toBe(renderedValue);
    expect(JSON.parse(c.configuration.value).mode).toBe('gateway');
  });

  it('routes on x-meshmcp-service: each service to its MCP port, none or the control route to the control service', () => {
    expect(answers(out)).toEqual(EXPECTED);
  });

  it('pins a session of an MCP server of its own to one pod: a ring hash on mcp-session-id, for that server only', () => {
    const gw = out.proxies['gateway']!;
    const rc = routeConfigNamed(gw, rdsName(sniChain(out, MCP))!);
    const hash = (service: string) =>
      routeFor(rc, { authority: MCP, path: '/mcp', headers: { 'x-meshmcp-service': service } })?.route?.hashPolicy;
    expect(hash('everything')).toEqual([{ header: { headerName: 'mcp-session-id' } }]);
    expect(hash('payment-service')).toBeUndefined();
    const cluster = (name: string) => gw.clusters.find((c: Json) => c.name === name);
    expect(cluster(EVERYTHING)?.lbPolicy).toBe('RING_HASH');
    expect(cluster(PAYMENT)?.lbPolicy).toBe('LEAST_REQUEST');
    // The rule is the gateway's own (exportTo "."): the server's pod, as a client of itself, does not get it.
    expect(out.proxies['everything']!.clusters.find((c: Json) => c.name === EVERYTHING)?.lbPolicy).toBe(
      'LEAST_REQUEST',
    );
  });

  it('gives the pod of a server that keeps sessions a cluster to its server on loopback, and no other pod', () => {
    const upstream = (proxy: string) => out.proxies[proxy]!.clusters.find((c: Json) => c.name === 'meshmcp-upstream');
    const cluster = upstream('everything');
    expect(cluster?.type).toBe('STATIC');
    expect(cluster?.loadAssignment.endpoints[0].lbEndpoints.map((e: Json) => e.endpoint.address.socketAddress)).toEqual(
      [{ address: '127.0.0.1', portValue: 3001 }],
    );
    // Istio's own inbound cluster for that port is ORIGINAL_DST: an http call, with no downstream connection to
    // take the destination from, could not use it.
    const inbound = out.proxies['everything']!.clusters.find((c: Json) => c.name === 'inbound|3001||');
    expect(inbound?.type).toBe('ORIGINAL_DST');
    expect(upstream('payment')).toBeUndefined();
    expect(upstream('gateway')).toBeUndefined();
  });

  it('gives the same answers whichever order Istio merges the entry and the rendered VirtualServices in', async () => {
    const older = '2020-01-01T00:00:00Z';
    const newer = '2021-01-01T00:00:00Z';
    const entryFirst = (kind: string, name: string) =>
      kind === 'VirtualService' ? (name === 'meshmcp-entry' ? older : newer) : undefined;
    const renderedFirst = (kind: string, name: string) =>
      kind === 'VirtualService' ? (name === 'meshmcp-entry' ? newer : older) : undefined;
    const orders: Record<string, string>[] = [];
    const firstRoute: string[] = [];
    for (const age of [entryFirst, renderedFirst]) {
      const o = await runIstiod({ configs: configs([rendered, ...STATIC, SHOP], age), proxies: [GATEWAY_PROXY] });
      orders.push(answers(o));
      const vh = routeConfigNamed(o.proxies['gateway']!, rdsName(sniChain(o, MCP))!).virtualHosts.find((v: Json) =>
        v.domains.includes(MCP),
      );
      firstRoute.push(vh.routes[0].name);
    }
    // The merge order really differs between the two runs, and the answers do not.
    expect(firstRoute[0]).not.toBe(firstRoute[1]);
    expect(orders[0]).toEqual(EXPECTED);
    expect(orders[1]).toEqual(EXPECTED);
  });

  it("puts the sidecar filter on the MCP port's inbound chain only, not on the app's port", () => {
    const pod = out.proxies['payment']!;
    const inbound = pod.listeners.find((l) => l.name === 'virtualInbound');
    expect(inbound).toBeDefined();
    const byPort = (port: number) =>
      chains(inbound).filter((c: Json) => c.filterChainMatch?.destinationPort === port && httpFilterNames(c).length);
    expect(byPort(3000).length).toBeGreaterThan(0);
    for (const c of byPort(3000)) {
      const names = httpFilterNames(c);
      expect(names).toContain('meshmcp-sidecar');
      expect(names.indexOf('meshmcp-sidecar')).toBeLessThan(names.indexOf('envoy.filters.http.router'));
      const cfg = JSON.parse(httpFilter(c, 'meshmcp-sidecar').typedConfig.config.configuration.value);
      expect(cfg.mode).toBe('sidecar');
      expect(cfg.acceptedPeers).toEqual(
        expect.arrayContaining([
          'spiffe://cluster.local/ns/istio-system/sa/meshmcp-ingressgateway-service-account',
          'spiffe://cluster.local/ns/platform-tools/sa/meshmcp-control',
        ]),
      );
    }
    expect(byPort(8080).length).toBeGreaterThan(0);
    for (const c of byPort(8080)) expect(httpFilterNames(c)).not.toContain('meshmcp-sidecar');
    // Only the payment pod's own filter: user-service's EnvoyFilter selects other pods.
    expect(chainsWithFilter(pod, 'meshmcp-sidecar').length).toBe(byPort(3000).length);
  });

  it('turns the DENY AuthorizationPolicy into an RBAC filter on the MCP port naming the two principals', () => {
    const inbound = out.proxies['payment']!.listeners.find((l) => l.name === 'virtualInbound');
    const mcpChain = chains(inbound).find(
      (c: Json) => c.filterChainMatch?.destinationPort === 3000 && httpFilterNames(c).length,
    );
    const rbac = httpFilter(mcpChain, 'envoy.filters.http.rbac');
    expect(rbac, httpFilterNames(mcpChain).join(' ')).toBeDefined();
    const deny = rbac.typedConfig.rules;
    expect(deny.action ?? 'ALLOW').toBe('DENY');
    const policy = deny.policies['ns[production]-policy[meshmcp-sidecar-payment-service]-rule[0]'];
    expect(policy, Object.keys(deny.policies).join(', ')).toBeDefined();
    const text = JSON.stringify(policy);
    expect(text).toContain('spiffe://cluster.local/ns/istio-system/sa/meshmcp-ingressgateway-service-account');
    expect(text).toContain('spiffe://cluster.local/ns/platform-tools/sa/meshmcp-control');
    expect(JSON.stringify(policy.permissions)).toContain('"destinationPort":3000');
  });

  it('has no patch that matches nothing, and istiod logs no warning', () => {
    const ours = out.patches.filter((p) => p.name.startsWith('meshmcp-'));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(ours.filter((p) => !p.changes)).toEqual([]);
    // The fake client's Gateway API CRDs lack their bundle-version annotation; that is the fixture, not our config.
    const fixture = /^CRD [a-z0-9.]+ expected to have a v[0-9.]+ annotation, but none found; ignoring$/;
    expect(out.warnings.filter((w) => !fixture.test(w.msg))).toEqual([]);
  });

  it('reports a patch that matches nothing: the gateway port given as the Service port (443) instead of 8443', async () => {
    const wrong = readFileSync(MESH, 'utf8').replace(/^ {2}port: 8443.*$/m, '  port: 443');
    const o = await runIstiod({
      configs: configs([await render([], wrong), ...STATIC, SHOP]),
      proxies: [GATEWAY_PROXY],
      checkPatches: true,
    });
    expect(o.patches.filter((p) => !p.changes).map((p) => `${p.kind} ${p.name}#${p.index}`)).toContain(
      'EnvoyFilter meshmcp-gateway#0',
    );
    expect(chainsWithFilter(o.proxies['gateway']!, 'meshmcp-gateway')).toEqual([]);
  });
});

describe('istiod over the rendered WasmPlugins', () => {
  let out: IstiodOutput;

  beforeAll(async () => {
    out = await runIstiod({
      configs: configs([await render(['--wasm-plugin']), ...STATIC, SHOP]),
      proxies: [GATEWAY_PROXY, PAYMENT_PROXY, USER_PROXY, EVERYTHING_PROXY],
      checkPatches: true,
    });
  });

  // istiod 1.31 translates a WasmPlugin into a traffic extension named after it.
  const GW_FILTER = 'extensions.istio.io/trafficextension/istio-system.meshmcp-gateway~istio-translated-wasmplugin';
  const POD_FILTER =
    'extensions.istio.io/trafficextension/production.meshmcp-sidecar-payment-service~istio-translated-wasmplugin';

  it("places the gateway plugin after jwt_authn and Istio's RBAC, before the router, on 8443 only", () => {
    const names = httpFilterNames(sniChain(out, MCP));
    const at = (n: string) => names.indexOf(n);
    expect(at('envoy.filters.http.jwt_authn'), names.join(' ')).toBeGreaterThanOrEqual(0);
    expect(at(GW_FILTER), names.join(' ')).toBeGreaterThan(at('envoy.filters.http.jwt_authn'));
    expect(at(GW_FILTER)).toBeGreaterThan(at('envoy.filters.http.rbac'));
    expect(at(GW_FILTER)).toBeLessThan(at('envoy.filters.http.router'));
    for (const c of chains(listenerOnPort(out.proxies['gateway']!, 8080))) {
      expect(httpFilterNames(c)).not.toContain(GW_FILTER);
    }
  });

  it('fails closed and carries the MCP hosts, so a shared chain leaves other sites alone', () => {
    const ext = out.proxies['gateway']!.extensionConfigs.find((e) => e.name === GW_FILTER);
    expect(ext, out.proxies['gateway']!.extensionConfigs.map((e) => e.name).join(', ')).toBeDefined();
    const c = ext.typedConfig.config;
    expect(c.failOpen ?? false).toBe(false);
    expect(c.vmConfig.code.local.filename).toBe('/etc/istio/extensions/meshmcp.wasm');
    const cfg = JSON.parse(c.configuration.value);
    expect(cfg.mode).toBe('gateway');
    expect(cfg.hosts).toEqual([MCP]);
    // vmConfig.env valueFrom HOST: istiod names the gateway's variable for Envoy to pass to the VM.
    expect(c.vmConfig.environmentVariables?.hostEnvKeys).toEqual(['MESHMCP_SESSION_KEYS']);
  });

  it('puts the sidecar plugin on the MCP port only', () => {
    const inbound = out.proxies['payment']!.listeners.find((l) => l.name === 'virtualInbound');
    for (const c of chains(inbound)) {
      const port = c.filterChainMatch?.destinationPort;
      if (!httpFilterNames(c).length) continue;
      if (port === 3000) expect(httpFilterNames(c)).toContain(POD_FILTER);
      else expect(httpFilterNames(c), `port ${port}`).not.toContain(POD_FILTER);
    }
  });

  it('has no plugin that matches nothing', () => {
    const ours = out.patches.filter((p) => p.kind === 'WasmPlugin');
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(ours.filter((p) => !p.changes)).toEqual([]);
  });

  it('still gives the pod of a server that keeps sessions its cluster, from an EnvoyFilter of that cluster alone', () => {
    const cluster = out.proxies['everything']!.clusters.find((c: Json) => c.name === 'meshmcp-upstream');
    expect(cluster?.type).toBe('STATIC');
    const filters = out.patches.filter((p) => p.kind === 'EnvoyFilter' && p.name.startsWith('meshmcp-'));
    expect(filters.map((p) => [p.name, p.changes])).toEqual([['meshmcp-sidecar-everything', true]]);
  });
});

describe('istiod over a remote module (ECDS)', () => {
  let out: IstiodOutput;
  const SHA = 'a'.repeat(64);

  beforeAll(async () => {
    const mesh = readFileSync(MESH, 'utf8').replace(
      /^module:\n {2}file: .*$/m,
      `module:\n  url: https://artifacts.example.com/meshmcp.wasm\n  sha256: ${SHA}`,
    );
    expect(mesh).toContain(SHA);
    out = await runIstiod({
      configs: configs([await render([], mesh), ...STATIC, SHOP]),
      proxies: [GATEWAY_PROXY, PAYMENT_PROXY, USER_PROXY, EVERYTHING_PROXY],
      checkPatches: true,
    });
  });

  it('names the ECDS filter in the MCP chain only, and istiod serves it with the URL and sha256', () => {
    const name = 'istio-system.meshmcp-gateway';
    const hits = chainsWithFilter(out.proxies['gateway']!, name);
    expect(hits.map((h) => h.chain.filterChainMatch?.serverNames)).toEqual([[MCP]]);
    expect(httpFilter(hits[0]!.chain, name).configDiscovery.typeUrls).toEqual([
      'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
    ]);
    const ext = out.proxies['gateway']!.extensionConfigs.find((e) => e.name === name);
    expect(ext, out.proxies['gateway']!.extensionConfigs.map((e) => e.name).join(', ')).toBeDefined();
    const c = ext.typedConfig.config;
    expect(c.vmConfig.code.remote.httpUri.uri).toBe('https://artifacts.example.com/meshmcp.wasm');
    expect(c.vmConfig.code.remote.sha256).toBe(SHA);
    expect(c.failOpen ?? false).toBe(false);
    expect(c.allowOnHeadersStopIteration).toBe(true);
  });

  it('has no patch that matches nothing, the EXTENSION_CONFIG ones included', () => {
    const ours = out.patches.filter((p) => p.name.startsWith('meshmcp-'));
    expect(ours.filter((p) => p.applyTo === 'EXTENSION_CONFIG').length).toBeGreaterThanOrEqual(3);
    expect(ours.filter((p) => !p.changes)).toEqual([]);
  });
});
