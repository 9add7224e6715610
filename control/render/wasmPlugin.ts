// The WasmPlugin variant of the two filters (extensions.istio.io/v1alpha1), for users who prefer it to EnvoyFilter.
// WasmPlugin cannot set allow_on_headers_stop_iteration: gateway mode needs an Envoy where that is on by default;
// sidecar mode never holds headers and is safe anywhere (README.md).

import { filterName, shardedName } from '../managedObjects.js';
import type { CatalogService, RenderSettings, Resource } from '../types.js';
import { SESSION_KEYS_ENV, sidecarResourceName } from './envoyFilter.js';
import type { FilterConfig } from './filterConfig.js';
import { resource } from './resource.js';

const WASM_PLUGIN_API = 'extensions.istio.io/v1alpha1';

function moduleSource(module: RenderSettings['module']): Record<string, unknown> {
  if ('file' in module) return { url: `file://${module.file}` };
  return { url: module.url, sha256: module.sha256 };
}

function spec(
  selector: Record<string, string>,
  config: FilterConfig,
  settings: RenderSettings,
): Record<string, unknown> {
  return {
    selector: { matchLabels: { ...selector } },
    ...moduleSource(settings.module),
    pluginName: 'meshmcp',
    // STATS: istiod places it after the authentication (jwt_authn) and authorization (RBAC) filters, so the JWT
    // claims are there to read and the RBAC filter (meshmcp-gateway-headers) sees only what the client sent. AUTHZ
    // would put it before RBAC, which would then refuse the routing headers the filter itself sets.
    phase: 'STATS',
    // Also Istio's default; explicit because failing open would let unchecked requests through.
    failStrategy: 'FAIL_CLOSE',
    // Istio hands this to the filter as its JSON configuration.
    pluginConfig: structuredClone(config),
  };
}

export function gatewayWasmPlugin(config: FilterConfig, settings: RenderSettings): Resource {
  return resource(
    WASM_PLUGIN_API,
    'WasmPlugin',
    settings.gateway.namespace,
    shardedName(filterName('gateway'), settings.shard),
    {
      ...spec(settings.gateway.selector, config, settings),
      // The session keys come from the gateway's environment (a Secret), never from this object.
      vmConfig: { env: [{ name: SESSION_KEYS_ENV, valueFrom: 'HOST' }] },
      // The MCP hosts' listener only. A WasmPlugin cannot name a filter chain (SNI), so on a port shared with other
      // sites the filter's own host check is what leaves their requests alone.
      match: [{ ports: [{ number: settings.gateway.port }] }],
    },
    settings.shard,
  );
}

export function sidecarWasmPlugin(service: CatalogService, config: FilterConfig, settings: RenderSettings): Resource {
  return resource(
    WASM_PLUGIN_API,
    'WasmPlugin',
    service.namespace,
    sidecarResourceName(service),
    {
      ...spec(service.selector, config, settings),
      // Inbound traffic on the MCP port only; the app's own ports are left alone.
      match: [{ mode: 'SERVER', ports: [{ number: service.port }] }],
    },
    settings.shard,
  );
}
