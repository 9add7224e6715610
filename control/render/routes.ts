// VirtualServices on the ingress gateway: x-meshmcp-service (set by the gateway filter) picks the upstream. One
// for the control service and one per workload namespace, so a change touches one object and none grows large.

import { holdsSessions } from '../catalogRules.js';
import { shardedName } from '../managedObjects.js';
import type { CatalogService, RenderSettings, Resource } from '../types.js';
import { resource } from './resource.js';

export const SERVICE_HEADER = 'x-meshmcp-service';
/** Routes per VirtualService; at most ~600 bytes each, so a chunk stays far below the object size bound. */
export const MAX_ROUTES_PER_VIRTUAL_SERVICE = 1000;
export const CONTROL_ROUTES_NAME = 'meshmcp-routes';

/** Every VirtualService lives in the gateway's namespace, which shards share: its name carries the shard. */
function virtualService(settings: RenderSettings, name: string, http: Record<string, unknown>[]): Resource {
  return resource(
    'networking.istio.io/v1',
    'VirtualService',
    settings.gateway.namespace,
    shardedName(name, settings.shard),
    { hosts: [...settings.gateway.hosts], gateways: [settings.gateway.gatewayRef], http },
    settings.shard,
  );
}

/**
 * Every route matches on its own, never as a catch-all, because Istio merges the VirtualServices of one gateway
 * host in no order we control: a catch-all in one would hide the routes of the others.
 */
export function controlVirtualService(settings: RenderSettings): Resource {
  const c = settings.control;
  return virtualService(settings, CONTROL_ROUTES_NAME, [
    {
      name: c.route,
      match: [
        { headers: { [SERVICE_HEADER]: { exact: c.route } } },
        // No header: what the filter lets through unrouted, e.g. GET /.well-known/oauth-protected-resource.
        { withoutHeaders: { [SERVICE_HEADER]: {} } },
      ],
      route: [{ destination: { host: c.host, port: { number: c.port } } }],
    },
  ]);
}

function serviceRoute(s: CatalogService): Record<string, unknown> {
  return {
    name: s.route,
    match: [{ headers: { [SERVICE_HEADER]: { exact: s.route } } }],
    route: [{ destination: { host: s.host, port: { number: s.port } } }],
    // Retry only when the request never reached the sidecar: a tools/call may have side effects.
    retries: { attempts: 2, retryOn: 'connect-failure,refused-stream' },
  };
}

/** `meshmcp-routes-<namespace>`, then `.2`, `.3`… for more routes than one object holds ('.' is never in a namespace). */
export function serviceVirtualServices(services: CatalogService[], settings: RenderSettings): Resource[] {
  const byNamespace = new Map<string, CatalogService[]>();
  for (const s of services) {
    const list = byNamespace.get(s.namespace);
    if (list) list.push(s);
    else byNamespace.set(s.namespace, [s]);
  }
  const out: Resource[] = [];
  for (const ns of [...byNamespace.keys()].sort()) {
    const routes = byNamespace.get(ns)!.map(serviceRoute);
    for (let i = 0; i * MAX_ROUTES_PER_VIRTUAL_SERVICE < routes.length; i++) {
      const name = `${CONTROL_ROUTES_NAME}-${ns}${i === 0 ? '' : `.${i + 1}`}`;
      out.push(
        virtualService(
          settings,
          name,
          routes.slice(i * MAX_ROUTES_PER_VIRTUAL_SERVICE, (i + 1) * MAX_ROUTES_PER_VIRTUAL_SERVICE),
        ),
      );
    }
  }
  return out;
}

/** The header an MCP session travels in (2025-11-25 Streamable HTTP). */
export const SESSION_HEADER = 'mcp-session-id';
/** The pod affinity the gateway gives every request to a server behind a bridge (filter/README.md). */
export const AFFINITY_HEADER = 'x-meshmcp-affinity';

/**
 * One DestinationRule per MCP server of a service's own that may hold sessions: in the gateway's namespace (so it
 * applies to the gateway's proxies only, not to the service's other clients), a consistent hash on Mcp-Session-Id
 * keeps each session on the pod that opened it. Behind a bridge the hash is on x-meshmcp-affinity, which the gateway
 * sets on every request (a bridge handle's affinity, else its session's, else a new one), so an exchange the bridge
 * holds is found on its pod whatever the revision. TLS is left out, so Istio's auto mTLS still applies. Routes are
 * unique within one catalog only, so the name carries the shard.
 */
export function sessionDestinationRules(services: CatalogService[], settings: RenderSettings): Resource[] {
  return services
    .filter((s) => s.upstream !== undefined && (s.upstream.bridge === true || holdsSessions(s.upstream.protocols)))
    .map((s) =>
      resource(
        'networking.istio.io/v1',
        'DestinationRule',
        settings.gateway.namespace,
        shardedName(`meshmcp-session-${s.route}`, settings.shard),
        {
          host: s.host,
          exportTo: ['.'],
          trafficPolicy: {
            portLevelSettings: [
              {
                port: { number: s.port },
                loadBalancer: {
                  consistentHash: { httpHeaderName: s.upstream?.bridge ? AFFINITY_HEADER : SESSION_HEADER },
                },
              },
            ],
          },
        },
        settings.shard,
      ),
    );
}
