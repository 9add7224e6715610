// AuthorizationPolicy per MCP-enabled workload: on the MCP port, only the gateway's and the control service's
// identities get through. A DENY of everyone else (not an ALLOW of the two) so the app's other ports and any
// ALLOW policies the owner has are left exactly as they were.

import { shardedName } from '../managedObjects.js';
import type { CatalogService, RenderSettings, Resource } from '../types.js';
import { sidecarResourceName } from './envoyFilter.js';
import { resource } from './resource.js';

/** Istio's principal form (the SPIFFE id without its scheme). */
export const istioPrincipal = (trustDomain: string, namespace: string, serviceAccount: string): string =>
  `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;

export function sidecarAuthorizationPolicy(service: CatalogService, settings: RenderSettings): Resource {
  const { trustDomain: td, gateway, control } = settings;
  const principals = [
    ...new Set([
      istioPrincipal(td, gateway.namespace, gateway.serviceAccount),
      istioPrincipal(td, control.namespace, control.serviceAccount),
    ]),
  ];
  return resource(
    'security.istio.io/v1',
    'AuthorizationPolicy',
    service.namespace,
    sidecarResourceName(service),
    {
      selector: { matchLabels: { ...service.selector } },
      action: 'DENY',
      rules: [
        {
          // A plaintext request has no principal and so matches notPrincipals: the MCP port is mTLS-only too.
          from: [{ source: { notPrincipals: principals } }],
          // The workload's port as the connection sees it: render assumes the Service's targetPort equals its port.
          to: [{ operation: { ports: [String(service.port)] } }],
        },
      ],
    },
    settings.shard,
  );
}

/** The internal headers of contract 3; only the gateway filter may set them, after Istio's RBAC filter has run. */
export const INTERNAL_HEADERS = [
  'x-meshmcp-service',
  'x-meshmcp-tool',
  'x-meshmcp-principal',
  'x-meshmcp-groups',
  'x-meshmcp-request-id',
] as const;

export const GATEWAY_HEADERS_POLICY = 'meshmcp-gateway-headers';

/**
 * On the gateway: refuse (403) any request that arrives already carrying an internal header. The gateway filter
 * strips them itself, so this changes nothing while the filter is in place; it matters when the filter is not (a
 * scoping patch that matched nothing, a gateway the filter never reached): a client could otherwise name a sidecar
 * in x-meshmcp-service and reach it as the gateway. Istio's RBAC filter runs before the filter (which is inserted
 * before the router), so it sees only what the client sent, never the headers the filter sets.
 */
export function gatewayHeadersPolicy(settings: RenderSettings): Resource {
  return resource(
    'security.istio.io/v1',
    'AuthorizationPolicy',
    settings.gateway.namespace,
    shardedName(GATEWAY_HEADERS_POLICY, settings.shard),
    {
      selector: { matchLabels: { ...settings.gateway.selector } },
      action: 'DENY',
      // One rule per header: rules are OR-ed, the conditions of one rule AND-ed. `*` is Istio's presence match.
      rules: INTERNAL_HEADERS.map((h) => ({ when: [{ key: `request.headers[${h}]`, values: ['*'] }] })),
    },
    settings.shard,
  );
}
