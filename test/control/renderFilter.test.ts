// The configurations render writes, loaded by the real compiled filter (filter/build/meshmcp.wasm in the
// Envoy-faithful host): the gateway routes a catalog tool and refuses others, the sidecar accepts only the peers
// render lists. The text is taken from the rendered resources, exactly as Envoy would receive it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRenderConfig, renderAll } from '../../control/render/index.js';
import type { Resource } from '../../control/types.js';
import { createPlugin } from '../../filter/host/index.js';
import { filterWasm, header, jwt, mtls, post, replyJson, toolsCall, withKey } from '../filter/harness.js';
import { ROOT } from '../support/cli.js';
import { readRenderInput } from './support/golden.js';

function rendered(caseName: string): Resource[] {
  const input = readRenderInput(readFileSync(join(ROOT, `test/golden/render/${caseName}.in.yaml`), 'utf8'));
  const { settings, policy } = parseRenderConfig(input.configText, caseName);
  return renderAll(input.catalog, policy, settings, input.options);
}

/** The StringValue Envoy hands the filter as its plugin configuration. */
function envoyConfiguration(resources: Resource[], name: string): string {
  const r = resources.find((x) => x.kind === 'EnvoyFilter' && x.metadata.name === name)!;
  const patch = (r.spec as any).configPatches.find((p: any) => p.patch.value.typed_config);
  const config = patch.patch.value.typed_config.config;
  expect(config.configuration['@type']).toBe('type.googleapis.com/google.protobuf.StringValue');
  return config.configuration.value;
}

const gatewayPlugin = (configuration: string) =>
  createPlugin(filterWasm(), configuration, { allowOnHeadersStopIteration: true });

describe('rendered configurations in the compiled filter', () => {
  it('gateway: routes a catalog tool to its service and answers an unlisted one as unknown', async () => {
    const p = await gatewayPlugin(envoyConfiguration(rendered('basic-three-services'), 'meshmcp-gateway'));
    const routed = post(p, toolsCall('payment-service__get_health'), withKey());
    expect(routed.localReply).toBeUndefined();
    expect(header(routed, 'x-meshmcp-service')).toBe('payment-service');
    expect(header(routed, 'x-meshmcp-tool')).toBe('get_health');
    expect(header(routed, 'x-meshmcp-principal')).toBe('ci-bot');
    const catalogMessage = post(p, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }), withKey());
    expect(header(catalogMessage, 'x-meshmcp-service')).toBe('meshmcp-control');
    const unknown = post(p, toolsCall('payment-service__drop_tables'), withKey());
    expect(header(unknown, 'x-meshmcp-service')).toBeUndefined();
    expect(replyJson(unknown).error.code).toBe(-32602);
    p.close();
  });

  it('gateway: the disambiguated route of a same-named service in another namespace', async () => {
    const p = await gatewayPlugin(envoyConfiguration(rendered('same-name-two-namespaces'), 'meshmcp-gateway'));
    // policy default deny with no rules: nobody gets through, but the identity and table are accepted.
    const r = post(p, toolsCall('payment-service-staging__get_health'), { properties: jwt({ sub: 'sam' }) });
    expect(header(r, 'x-meshmcp-service')).toBeUndefined();
    expect(replyJson(r).error.code).toBe(-32602);
    p.close();
  });

  it('gateway: JWT identity, the forbidden rule with its scope, and a custom control route', async () => {
    const p = await gatewayPlugin(envoyConfiguration(rendered('rate-limits-jwt'), 'meshmcp-gateway'));
    // This case's gateway.hosts is mcp.example.org: the filter leaves any other host alone.
    const headers = { ':authority': 'mcp.example.org' };
    const elsewhere = post(p, toolsCall('payment-service__get_health'), {
      headers: { ':authority': 'mcp.example.com' },
    });
    expect(elsewhere.localReply).toBeUndefined();
    expect(header(elsewhere, 'x-meshmcp-service')).toBeUndefined();
    const dev = { headers, properties: jwt({ email: 'dev@example.org', groups: ['developers'] }) };
    const ok = post(p, toolsCall('payment-service__get_health'), dev);
    expect(header(ok, 'x-meshmcp-service')).toBe('payment-service');
    expect(header(ok, 'x-meshmcp-principal')).toBe('dev@example.org');
    const refund = post(p, toolsCall('payment-service__refund_payment'), dev);
    expect(refund.response?.status).toBe(403);
    expect(header(refund, 'www-authenticate', 'response')).toContain('scope="payments:write"');
    const list = post(p, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), dev);
    expect(header(list, 'x-meshmcp-service')).toBe('catalog');
    const anonymous = post(p, toolsCall('payment-service__get_health'), { headers });
    expect(anonymous.response?.status).toBe(401);
    expect(header(anonymous, 'www-authenticate', 'response')).toContain(
      'resource_metadata="https://mcp.example.org/.well-known/oauth-protected-resource"',
    );
    p.close();
  });

  it('gateway: the WasmPlugin pluginConfig, as JSON, is accepted too', async () => {
    const plugin = rendered('wasm-plugin').find(
      (r) => r.kind === 'WasmPlugin' && r.metadata.name === 'meshmcp-gateway',
    )!;
    const p = await gatewayPlugin(JSON.stringify((plugin.spec as any).pluginConfig));
    const r = post(p, toolsCall('user-service__get_health'), { properties: mtls('spiffe://cluster.local/ns/a/sa/b') });
    expect(header(r, 'x-meshmcp-service')).toBe('user-service');
    p.close();
  });

  it('sidecar: accepts the gateway and control identities and refuses any other peer', async () => {
    const configuration = envoyConfiguration(rendered('basic-three-services'), 'meshmcp-sidecar-payment-service');
    const p = await createPlugin(filterWasm(), configuration);
    const body = toolsCall('payment-service__get_health');
    for (const peer of [
      'spiffe://cluster.local/ns/istio-system/sa/meshmcp-ingressgateway-service-account',
      'spiffe://cluster.local/ns/meshmcp-system/sa/meshmcp-control',
    ]) {
      expect(post(p, body, { properties: mtls(peer) }).localReply).toBeUndefined();
    }
    const other = post(p, body, { properties: mtls('spiffe://cluster.local/ns/production/sa/default') });
    expect(other.response?.status).toBe(403);
    p.close();
  });
});
