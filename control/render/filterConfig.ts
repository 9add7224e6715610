// Contract 2 from the catalog: the gateway-mode filter configuration (MCP hosts, routing table, identity, policy,
// limits) and the sidecar-mode one per service (accepted peers), plus the JSON text Envoy is given.

import { STATELESS_REVISION, sortCatalog, validateCatalog } from '../catalogRules.js';
import type { Catalog, CatalogService, GatewayPolicy, RenderSettings } from '../types.js';
import { RenderError } from './errors.js';

/** One routing-table entry (filter/config.schema.json `$defs/service`). */
export interface RouteEntry {
  name: string;
  namespace: string;
  host: string;
  port: number;
  /** The tools as the sidecar names them, i.e. the part after `<route>__`. */
  tools: string[];
  /**
   * Present for an MCP server of the service's own: the gateway sends it tool names without the `<route>__` prefix,
   * on this path.
   */
  upstream?: { path: string; stateless?: true; bridged?: true };
}

export interface GatewayFilterConfig {
  version: 1;
  mode: 'gateway';
  /** The MCP hosts (gateway.hosts): the filter leaves requests for any other host untouched. */
  hosts: string[];
  control: string;
  protectedResourceMetadata: string;
  services: RouteEntry[];
  identity: GatewayPolicy['identity'];
  policy: { default: 'allow' | 'deny'; rules: GatewayPolicy['policy']['rules'] };
  rateLimits?: NonNullable<GatewayPolicy['rateLimits']>;
  limits?: NonNullable<GatewayPolicy['limits']>;
  audit?: NonNullable<GatewayPolicy['audit']>;
}

export interface SidecarFilterConfig {
  version: 1;
  mode: 'sidecar';
  services: RouteEntry[];
  acceptedPeers: string[];
  limits?: NonNullable<GatewayPolicy['limits']>;
  audit?: NonNullable<GatewayPolicy['audit']>;
}

export type FilterConfig = GatewayFilterConfig | SidecarFilterConfig;

/** Every filter configuration of one catalog, rendered once: what the Istio resources carry and the files hold. */
export interface FilterConfigs {
  gateway: GatewayFilterConfig;
  /** One per service, in the catalog's canonical order (by route). */
  sidecars: Array<{ service: CatalogService; config: SidecarFilterConfig }>;
}

/**
 * Largest filter configuration render writes. It travels inside one EnvoyFilter (or WasmPlugin), and the API server
 * refuses objects above ~1.5 MB; 1 MiB leaves room for the rest of the object and its managedFields.
 */
export const MAX_FILTER_CONFIG_BYTES = 1024 * 1024;

export const spiffeId = (trustDomain: string, namespace: string, serviceAccount: string): string =>
  `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;

/** The SPIFFE ids a sidecar accepts: the gateway's and the control service's (they may be one identity). */
export function acceptedPeers(settings: RenderSettings): string[] {
  const { trustDomain: td, gateway, control } = settings;
  const ids = [
    spiffeId(td, gateway.namespace, gateway.serviceAccount),
    spiffeId(td, control.namespace, control.serviceAccount),
  ];
  return [...new Set(ids)];
}

/**
 * Refuses a catalog that breaks the catalog's rules (control/catalogRules.ts). The catalog stage keeps them; render
 * checks again because a bad table in Envoy fails every request, while a refused render keeps the last good one.
 */
function checkCatalog(catalog: Catalog, controlRoute: string): void {
  const problem = validateCatalog(catalog, { reservedRoute: controlRoute })[0];
  if (problem !== undefined) throw new RenderError(problem);
}

function routeEntry(service: CatalogService): RouteEntry {
  return {
    name: service.route,
    namespace: service.namespace,
    host: service.host,
    port: service.port,
    tools: service.tools.map((t) => t.tool),
    ...(service.upstream
      ? {
          upstream: {
            path: service.upstream.path,
            // It answers without a session: the gateway sends it older aggregated requests in its revision.
            ...(service.upstream.protocols.includes(STATELESS_REVISION) ? { stateless: true as const } : {}),
            // Its pods' MCP port is a bridge: each exchange gets a pod affinity (x-meshmcp-affinity).
            ...(service.upstream.bridge ? { bridged: true as const } : {}),
          },
        }
      : {}),
  };
}

function limitsAndAudit(
  policy: Pick<GatewayPolicy, 'limits' | 'audit'> | undefined,
): Pick<SidecarFilterConfig, 'limits' | 'audit'> {
  const out: Pick<SidecarFilterConfig, 'limits' | 'audit'> = {};
  if (policy?.limits !== undefined) out.limits = structuredClone(policy.limits);
  if (policy?.audit !== undefined) out.audit = structuredClone(policy.audit);
  return out;
}

/** The gateway-mode configuration; throws RenderError when the catalog breaks contract 1/2 or the size bound. */
export function gatewayFilterConfig(
  catalog: Catalog,
  policy: GatewayPolicy,
  settings: RenderSettings,
): GatewayFilterConfig {
  checkCatalog(catalog, settings.control.route);
  const config: GatewayFilterConfig = {
    version: 1,
    mode: 'gateway',
    // The filter's own last line of defence when its listener also serves other sites: it acts only on these.
    hosts: [...settings.gateway.hosts],
    control: settings.control.route,
    protectedResourceMetadata: policy.protectedResourceMetadata,
    services: sortCatalog(catalog).services.map(routeEntry),
    identity: structuredClone(policy.identity),
    // No rule matching means deny unless the operator chose otherwise: secure by default.
    policy: { default: policy.policy.default ?? 'deny', rules: structuredClone(policy.policy.rules) },
  };
  if (policy.rateLimits !== undefined) config.rateLimits = structuredClone(policy.rateLimits);
  Object.assign(config, limitsAndAudit(policy));
  const bytes = Buffer.byteLength(filterConfigJson(config));
  if (bytes > MAX_FILTER_CONFIG_BYTES) {
    const tools = catalog.services.reduce((n, s) => n + s.tools.length, 0);
    throw new RenderError(
      `the gateway filter configuration for ${catalog.services.length} services and ${tools} tools is ${bytes} bytes, ` +
        `above the ${MAX_FILTER_CONFIG_BYTES}-byte bound that keeps its EnvoyFilter under the API server's ~1.5 MB ` +
        'object limit; narrow discovery (ALLOWED_NAMESPACES, mcp-enabled labels) or serve fewer tools per service',
    );
  }
  return config;
}

/** The sidecar-mode configuration of one service: its own routing entry (for per-tool metering) and the peers it accepts. */
export function sidecarFilterConfig(
  service: CatalogService,
  settings: RenderSettings,
  policy?: Pick<GatewayPolicy, 'limits' | 'audit'>,
): SidecarFilterConfig {
  checkCatalog({ services: [service] }, settings.control.route);
  return {
    version: 1,
    mode: 'sidecar',
    services: sortCatalog({ services: [service] }).services.map(routeEntry),
    acceptedPeers: acceptedPeers(settings),
    ...limitsAndAudit(policy),
  };
}

/** The gateway's configuration and each service's; throws RenderError when the catalog cannot be rendered. */
export function filterConfigs(catalog: Catalog, policy: GatewayPolicy, settings: RenderSettings): FilterConfigs {
  const gateway = gatewayFilterConfig(catalog, policy, settings);
  const sidecars = sortCatalog(catalog).services.map((service) => ({
    service,
    config: sidecarFilterConfig(service, settings, policy),
  }));
  return { gateway, sidecars };
}

/**
 * The JSON text the filter reads. One line per top-level key and per routing entry, so a golden diff shows the
 * service that changed; the filter's parser does not care about layout.
 */
export function filterConfigJson(config: FilterConfig): string {
  const lines = Object.entries(config).map(([key, value]) => {
    if (Array.isArray(value) && value.length > 0 && (key === 'services' || key === 'identity')) {
      return `${JSON.stringify(key)}: [\n${value.map((v) => `  ${JSON.stringify(v)}`).join(',\n')}\n]`;
    }
    return `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  });
  return `{\n${lines.join(',\n')}\n}`;
}
