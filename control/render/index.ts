// render: catalog + gateway policy + mesh settings → the Istio resources that carry routing and policy into Envoy.
// Pure and deterministic: the same input gives the same objects in the same order, byte for byte.

import { cmp } from '../catalogRules.js';
import type { Catalog, GatewayPolicy, RenderSettings, Resource } from '../types.js';
import { gatewayHeadersPolicy, sidecarAuthorizationPolicy } from './authorization.js';
import { gatewayEnvoyFilter, sidecarClusterFilter, sidecarEnvoyFilter } from './envoyFilter.js';
import { RenderError } from './errors.js';
import { type FilterConfigs, filterConfigs } from './filterConfig.js';
import { controlVirtualService, serviceVirtualServices, sessionDestinationRules } from './routes.js';
import { gatewayWasmPlugin, sidecarWasmPlugin } from './wasmPlugin.js';

export { canonicalJson } from '../../shared/canonicalJson.js';
export { RenderError } from './errors.js';
export type {
  FilterConfig,
  FilterConfigs,
  GatewayFilterConfig,
  RouteEntry,
  SidecarFilterConfig,
} from './filterConfig.js';
export { filterConfigJson, filterConfigs, gatewayFilterConfig, sidecarFilterConfig } from './filterConfig.js';
export { parseRenderConfig, RENDER_DEFAULTS } from './meshConfig.js';

export interface RenderOptions {
  /** Istio WasmPlugin resources instead of EnvoyFilters (README.md: gateway mode then needs a suitable Envoy). */
  wasmPlugin?: boolean;
}

/** Every resource of a catalog: its filter configurations (filterConfigs), then the objects that carry them. */
export function renderAll(
  catalog: Catalog,
  policy: GatewayPolicy,
  settings: RenderSettings,
  options: RenderOptions = {},
): Resource[] {
  return renderResources(filterConfigs(catalog, policy, settings), settings, options);
}

/**
 * The resources that carry rendered filter configurations, in an order that is safe to create in: sidecar lockdown
 * and sidecar filters, the gateway's refusal of client-set internal headers, then the routes, then the gateway filter
 * that sends traffic to them. Removal should go the other way (the apply stage's job).
 */
export function renderResources(
  configs: FilterConfigs,
  settings: RenderSettings,
  options: RenderOptions = {},
): Resource[] {
  const services = configs.sidecars.map((s) => s.service);
  const sidecars = [...configs.sidecars].sort(
    (a, b) => cmp(a.service.namespace, b.service.namespace) || cmp(a.service.name, b.service.name),
  );
  const authorization: Resource[] = [];
  const filters: Resource[] = [];
  for (const { service: s, config } of sidecars) {
    if (Object.keys(s.selector).length === 0) {
      throw new RenderError(
        `service ${s.namespace}/${s.name} has no selector, so its sidecar filter and AuthorizationPolicy would apply ` +
          'to every workload in the namespace; give the Service (or its services-file entry) a selector',
      );
    }
    authorization.push(sidecarAuthorizationPolicy(s, settings));
    if (options.wasmPlugin) {
      filters.push(sidecarWasmPlugin(s, config, settings));
      const cluster = sidecarClusterFilter(s, settings);
      if (cluster) filters.push(cluster);
    } else {
      filters.push(sidecarEnvoyFilter(s, config, settings));
    }
  }
  const gateway = options.wasmPlugin
    ? gatewayWasmPlugin(configs.gateway, settings)
    : gatewayEnvoyFilter(configs.gateway, settings);
  return [
    ...authorization,
    ...filters,
    gatewayHeadersPolicy(settings),
    controlVirtualService(settings),
    ...sessionDestinationRules(services, settings),
    ...serviceVirtualServices(services, settings),
    gateway,
  ];
}
