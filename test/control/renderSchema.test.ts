// Every rendered resource against Istio's CRD schemas (@kubernetes-models/istio), and every filter configuration
// against filter/config.schema.json, for each golden case and a generated multi-namespace catalog.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { describe, expect, it } from 'vitest';
import { gatewayFilterConfig, parseRenderConfig, renderAll, sidecarFilterConfig } from '../../control/render/index.js';
import type { Resource } from '../../control/types.js';
import { MiniSchema } from '../filterConfig/miniSchema.js';
import { ROOT } from '../support/cli.js';
import { goldenCases, readRenderInput } from './support/golden.js';

const schema = new MiniSchema(JSON.parse(readFileSync(join(ROOT, 'filter/config.schema.json'), 'utf8')));

/** Validates with the CRD schema of the resource's kind; throws on a violation. */
function validateIstio(r: Resource): void {
  const obj = structuredClone(r) as any;
  switch (r.kind) {
    case 'EnvoyFilter':
      expect(r.apiVersion).toBe('networking.istio.io/v1alpha3');
      new EnvoyFilter(obj).validate();
      return;
    case 'VirtualService':
      // networking.istio.io/v1 is v1beta1 promoted with the same schema; the models package ships v1beta1.
      expect(r.apiVersion).toBe('networking.istio.io/v1');
      new VirtualService({ ...obj, apiVersion: 'networking.istio.io/v1beta1' }).validate();
      return;
    case 'DestinationRule':
      expect(r.apiVersion).toBe('networking.istio.io/v1');
      new DestinationRule({ ...obj, apiVersion: 'networking.istio.io/v1beta1' }).validate();
      return;
    case 'AuthorizationPolicy':
      expect(r.apiVersion).toBe('security.istio.io/v1');
      new AuthorizationPolicy(obj).validate();
      return;
    case 'WasmPlugin':
      expect(r.apiVersion).toBe('extensions.istio.io/v1alpha1');
      new WasmPlugin(obj).validate();
      return;
    default:
      throw new Error(`unexpected kind ${r.kind}`);
  }
}

/** The filter configuration a resource carries, parsed back from the JSON text Envoy receives. */
function carriedConfigs(r: Resource): unknown[] {
  if (r.kind === 'WasmPlugin') return [(r.spec as any).pluginConfig];
  if (r.kind !== 'EnvoyFilter') return [];
  return (r.spec as any).configPatches
    .map((p: any) => p.patch.value.typed_config?.config.configuration.value)
    .filter((v: unknown) => v !== undefined)
    .map((v: string) => JSON.parse(v));
}

const valid = goldenCases('render').filter((c) => !c.invalid);

describe('rendered resources against the Istio CRD schemas', () => {
  it.each(valid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const input = readRenderInput(c.input);
    const { settings, policy } = parseRenderConfig(input.configText, c.name);
    const resources = renderAll(input.catalog, policy, settings, input.options);
    expect(resources.length).toBeGreaterThan(0);
    let configs = 0;
    for (const r of resources) {
      validateIstio(r);
      for (const config of carriedConfigs(r)) {
        expect(schema.check(config), `${r.kind} ${r.metadata.name}`).toBeUndefined();
        configs++;
      }
    }
    // One gateway configuration and one per service.
    expect(configs).toBe(1 + input.catalog.services.length);
  });

  it('catches a broken resource (the validators are live)', () => {
    const input = readRenderInput(valid[0]!.input);
    const { settings, policy } = parseRenderConfig(input.configText, 'x');
    const filter = renderAll(input.catalog, policy, settings).find((r) => r.kind === 'EnvoyFilter')!;
    (filter.spec as any).configPatches[0].match.context = 'INBOUND';
    expect(() => validateIstio(filter)).toThrow(/context/);
    const config = gatewayFilterConfig(input.catalog, policy, settings) as any;
    config.services[0].tools.push(config.services[0].tools[0]);
    expect(schema.check(config)).toMatch(/uniqueItems/);
  });
});

describe('filter configurations against filter/config.schema.json', () => {
  const { settings, policy } = parseRenderConfig(
    readRenderInput(readFileSync(join(ROOT, 'test/golden/render/rate-limits-jwt.in.yaml'), 'utf8')).configText,
    'rate-limits-jwt',
  );
  const { catalog } = readRenderInput('catalog: { generate: { services: 300, namespaces: 7, tools: 12 } }');

  it('gateway mode, 300 services', () => {
    const config = gatewayFilterConfig(catalog, policy, settings);
    expect(config.services).toHaveLength(300);
    expect(schema.check(config)).toBeUndefined();
  });

  it('gateway mode carries gateway.hosts, wildcards and * included; sidecar mode none', () => {
    expect(gatewayFilterConfig(catalog, policy, settings).hosts).toEqual(['mcp.example.org']);
    const hosts = ['mcp.example.org', '*.mcp.example.org', '127.0.0.1', '*'];
    const config = gatewayFilterConfig(catalog, policy, { ...settings, gateway: { ...settings.gateway, hosts } });
    expect(config.hosts).toEqual(hosts);
    expect(schema.check(config)).toBeUndefined();
    expect(schema.check({ ...sidecarFilterConfig(catalog.services[0]!, settings), hosts })).toMatch(/^hosts: false/);
  });

  it('sidecar mode, with and without limits and audit', () => {
    for (const s of catalog.services.slice(0, 20)) {
      expect(schema.check(sidecarFilterConfig(s, settings))).toBeUndefined();
      const withPolicy = sidecarFilterConfig(s, settings, policy);
      expect(withPolicy.limits).toEqual({ maxBodyBytes: 262144, maxDepth: 32 });
      expect(schema.check(withPolicy)).toBeUndefined();
    }
  });
});
