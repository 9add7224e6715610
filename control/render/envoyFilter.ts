// EnvoyFilters that insert meshmcp.wasm before the router: GATEWAY on the ingress gateway (gateway mode) and
// SIDECAR_INBOUND on each MCP-enabled workload's MCP port (sidecar mode). Field names follow Envoy's
// envoy.extensions.filters.http.wasm.v3.Wasm / envoy.extensions.wasm.v3.PluginConfig and Istio's EnvoyFilter v1alpha3.

import { STATELESS_REVISION } from '../catalogRules.js';
import { filterName, shardedName } from '../managedObjects.js';
import type { CatalogService, RenderSettings, Resource } from '../types.js';
import { type FilterConfig, filterConfigJson } from './filterConfig.js';
import { resource } from './resource.js';

/**
 * The gateway's environment variable holding the keys that bind /mcp/<service> session ids to their caller
 * (comma-separated, each at least 32 bytes; the first signs, all verify): Envoy passes it to the filter's VM.
 */
export const SESSION_KEYS_ENV = 'MESHMCP_SESSION_KEYS';

/**
 * The cluster a sidecar-mode filter calls to open a session per call on its pod's own MCP server (contract 2:
 * filter/assembly/upstreamSession.ts), added to that pod's proxy by its EnvoyFilter.
 */
export const UPSTREAM_CLUSTER = 'meshmcp-upstream';

export const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const ENVOY_FILTER_API = 'networking.istio.io/v1alpha3';

/** envoy.config.core.v3.AsyncDataSource: a file in the proxy image, or an https URL pinned by its SHA-256. */
function code(module: RenderSettings['module']): Record<string, unknown> {
  if ('file' in module) return { local: { filename: module.file } };
  // istio-agent fetches remote modules named in EXTENSION_CONFIG, checks the sha256 and hands Envoy a local file;
  // when the fetch fails with fail_open false it installs a deny-all filter instead, so this stays fail-closed.
  // The cluster is a placeholder Envoy's validation wants; Envoy itself never fetches from it.
  return {
    remote: { http_uri: { uri: module.url, cluster: 'fetched-by-istio-agent', timeout: '30s' }, sha256: module.sha256 },
  };
}

function wasmFilter(
  mode: 'gateway' | 'sidecar',
  config: FilterConfig,
  settings: RenderSettings,
): Record<string, unknown> {
  const pluginConfig: Record<string, unknown> = {
    name: filterName(mode),
    root_id: 'meshmcp',
    vm_config: { vm_id: filterName(mode), runtime: 'envoy.wasm.runtime.v8', code: code(settings.module) },
    configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: filterConfigJson(config) },
    // FAIL_CLOSE: a VM that failed answers 503 rather than letting requests through unchecked.
    fail_open: false,
  };
  // The keys that bind /mcp/<service> session ids to their caller come from the gateway's environment (a Secret),
  // never from this object, which anyone who may read EnvoyFilters can read.
  if (mode === 'gateway') {
    (pluginConfig['vm_config'] as Record<string, unknown>)['environment_variables'] = {
      host_env_keys: [SESSION_KEYS_ENV],
    };
  }
  // Gateway mode holds the headers until the body has been read so the routing headers it sets reach the router.
  // Envoy < 1.35 does not know the field and would refuse the whole filter, so sidecar mode (which needs no hold)
  // leaves it out and runs on older proxies too.
  if (mode === 'gateway') pluginConfig['allow_on_headers_stop_iteration'] = true;
  return { '@type': WASM_FILTER_TYPE, config: pluginConfig };
}

/**
 * The HTTP_FILTER patch, and for a remote module the EXTENSION_CONFIG (ECDS) it refers to: Istio resolves remote
 * modules only in ECDS, named `<namespace>.<resource>` so names from two namespaces never meet in one proxy.
 */
function configPatches(
  mode: 'gateway' | 'sidecar',
  owner: { namespace: string; name: string },
  scope: { portNumber: number; sni?: string },
  config: FilterConfig,
  settings: RenderSettings,
): Record<string, unknown>[] {
  const context = mode === 'gateway' ? 'GATEWAY' : 'SIDECAR_INBOUND';
  const match = {
    context,
    listener: {
      portNumber: scope.portNumber,
      filterChain: {
        ...(scope.sni === undefined ? {} : { sni: scope.sni }),
        filter: {
          name: 'envoy.filters.network.http_connection_manager',
          // Before the router means after jwt_authn and Istio's RBAC: the claims the filter reads exist by then.
          subFilter: { name: 'envoy.filters.http.router' },
        },
      },
    },
  };
  const typedConfig = wasmFilter(mode, config, settings);
  if ('file' in settings.module) {
    const value = { name: filterName(mode), typed_config: typedConfig };
    return [{ applyTo: 'HTTP_FILTER', match, patch: { operation: 'INSERT_BEFORE', value } }];
  }
  const ecdsName = `${owner.namespace}.${owner.name}`;
  return [
    {
      applyTo: 'EXTENSION_CONFIG',
      match: { context },
      patch: { operation: 'ADD', value: { name: ecdsName, typed_config: typedConfig } },
    },
    {
      applyTo: 'HTTP_FILTER',
      match,
      patch: {
        operation: 'INSERT_BEFORE',
        value: {
          name: ecdsName,
          // No fetch timeout: the listener waits for the module rather than serving without the filter.
          config_discovery: {
            config_source: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' },
            type_urls: [WASM_FILTER_TYPE],
          },
        },
      },
    },
  ];
}

/**
 * Where the gateway filter goes: the listener of the MCP hosts' port and, when that Gateway server terminates TLS,
 * only the filter chain whose SNI names hold the first MCP host (Istio puts a server's hosts, wildcards verbatim,
 * in its chain's server_names). Another site on the same gateway never meets the filter, and where it shares the
 * chain (plaintext) the filter's own host check (`hosts`) lets its requests through untouched.
 */
export function gatewayScope(settings: RenderSettings): { portNumber: number; sni?: string } {
  const { port, tls, hosts } = settings.gateway;
  return tls ? { portNumber: port, sni: hosts[0]! } : { portNumber: port };
}

export function gatewayEnvoyFilter(config: FilterConfig, settings: RenderSettings): Resource {
  const owner = { namespace: settings.gateway.namespace, name: shardedName(filterName('gateway'), settings.shard) };
  return resource(
    ENVOY_FILTER_API,
    'EnvoyFilter',
    owner.namespace,
    owner.name,
    {
      workloadSelector: { labels: { ...settings.gateway.selector } },
      configPatches: configPatches('gateway', owner, gatewayScope(settings), config, settings),
    },
    settings.shard,
  );
}

/** Sidecar resources are named after the Service, unique in its namespace. */
export const sidecarResourceName = (service: CatalogService): string => `meshmcp-sidecar-${service.name}`;

/**
 * A server of the pod's own that speaks only revisions with sessions is reached by the aggregated /mcp through a
 * session the pod's filter opens per call, on this cluster: the server on loopback, where istio-proxy's own traffic
 * is not redirected. Istio's inbound clusters cannot serve: they are ORIGINAL_DST, and an http call has no
 * downstream connection to take a destination from.
 */
function upstreamClusterPatch(service: CatalogService): Record<string, unknown>[] {
  const upstream = service.upstream;
  if (!upstream || upstream.protocols.includes(STATELESS_REVISION)) return [];
  const endpoint = { address: { socket_address: { address: '127.0.0.1', port_value: service.port } } };
  return [
    {
      applyTo: 'CLUSTER',
      match: { context: 'SIDECAR_INBOUND' },
      patch: {
        operation: 'ADD',
        value: {
          name: UPSTREAM_CLUSTER,
          type: 'STATIC',
          connect_timeout: '2s',
          load_assignment: { cluster_name: UPSTREAM_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint }] }] },
        },
      },
    },
  ];
}

export function sidecarEnvoyFilter(service: CatalogService, config: FilterConfig, settings: RenderSettings): Resource {
  const owner = { namespace: service.namespace, name: sidecarResourceName(service) };
  return resource(
    ENVOY_FILTER_API,
    'EnvoyFilter',
    owner.namespace,
    owner.name,
    {
      workloadSelector: { labels: { ...service.selector } },
      // For SIDECAR_INBOUND Istio matches the Service port; the sidecar listens on the same number (targetPort = port).
      configPatches: [
        ...configPatches('sidecar', owner, { portNumber: service.port }, config, settings),
        ...upstreamClusterPatch(service),
      ],
    },
    settings.shard,
  );
}

/**
 * WasmPlugin mode delivers the filter without an EnvoyFilter, but a cluster can only come from one: this carries the
 * upstream cluster alone, under the sidecar resources' name. Undefined when the service needs none.
 */
export function sidecarClusterFilter(service: CatalogService, settings: RenderSettings): Resource | undefined {
  const patches = upstreamClusterPatch(service);
  if (patches.length === 0) return undefined;
  return resource(
    ENVOY_FILTER_API,
    'EnvoyFilter',
    service.namespace,
    sidecarResourceName(service),
    { workloadSelector: { labels: { ...service.selector } }, configPatches: patches },
    settings.shard,
  );
}
