// render: catalog + gateway policy + mesh settings → the Istio resources that carry routing and policy into Envoy.
// Pure and deterministic: the same input gives the same objects in the same order, byte for byte.

import { sortCatalog } from '../catalogRules.js';
import type { Catalog, GatewayPolicy, RenderSettings, Resource } from '../types.js';
import { gatewayHeadersPolicy, sidecarAuthorizationPolicy } from './authorization.js';
import { gatewayEnvoyFilter, sidecarEnvoyFilter } from './envoyFilter.js';
import { RenderError } from './errors.js';
import { gatewayFilterConfig, sidecarFilterConfig } from './filterConfig.js';
import { controlVirtualService, serviceVirtualServices } from './routes.js';
import { gatewayWasmPlugin, sidecarWasmPlugin } from './wasmPlugin.js';

export { canonicalJson } from '../../shared/canonicalJson.js';
export { RenderError } from './errors.js';
export type { FilterConfig, GatewayFilterConfig, RouteEntry, SidecarFilterConfig } from './filterConfig.js';
export { filterConfigJson, gatewayFilterConfig, sidecarFilterConfig } from './filterConfig.js';
export { parseRenderConfig, RENDER_DEFAULTS } from './settings.js';

export interface RenderOptions {
  /** Istio WasmPlugin resources instead of EnvoyFilters (README.md: gateway mode then needs a suitable Envoy). */
  wasmPlugin?: boolean;
}

/**
 * Every resource, in an order that is safe to create in: sidecar lockdown and sidecar filters, the gateway's refusal
 * of client-set internal headers, then the routes, then the gateway filter that sends traffic to them. Removal
 * should go the other way (the apply stage's job).
 */
export function renderAll(
  catalog: Catalog,
  policy: GatewayPolicy,
  settings: RenderSettings,
  options: RenderOptions = {},
): Resource[] {
  const gatewayConfig = gatewayFilterConfig(catalog, policy, settings);
  const services = sortCatalog(catalog).services;
  const sidecars = [...services].sort((a, b) =>
    a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1,
  );
  const authorization: Resource[] = [];
  const filters: Resource[] = [];
  for (const s of sidecars) {
    if (Object.keys(s.selector).length === 0) {
      throw new RenderError(
        `service ${s.namespace}/${s.name} has no selector, so its sidecar filter and AuthorizationPolicy would apply ` +
          'to every workload in the namespace; give the Service (or its services-file entry) a selector',
      );
    }
    const config = sidecarFilterConfig(s, settings, policy);
    authorization.push(sidecarAuthorizationPolicy(s, settings));
    filters.push(options.wasmPlugin ? sidecarWasmPlugin(s, config, settings) : sidecarEnvoyFilter(s, config, settings));
  }
  const gateway = options.wasmPlugin
    ? gatewayWasmPlugin(gatewayConfig, settings)
    : gatewayEnvoyFilter(gatewayConfig, settings);
  return [
    ...authorization,
    ...filters,
    gatewayHeadersPolicy(settings),
    controlVirtualService(settings),
    ...serviceVirtualServices(services, settings),
    gateway,
  ];
}
