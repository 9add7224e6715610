// AuthorizationPolicy per MCP-enabled workload: on the MCP port, only the gateway's and the control service's
// identities get through. A DENY of everyone else (not an ALLOW of the two) so the app's other ports and any
// ALLOW policies the owner has are left exactly as they were.

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
  return resource('security.istio.io/v1', 'AuthorizationPolicy', service.namespace, sidecarResourceName(service), {
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
  });
}
