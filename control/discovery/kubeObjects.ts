// Turns Services and EndpointSlices (as the informers cache them) into DiscoveredServices. Pure, so the rules are
// tested without a cluster.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { DiscoveredService } from '../types.js';

export const MCP_PORT_NAME = 'mcp';
export const DEFAULT_MCP_PORT = 3000;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface MappingOptions {
  clusterDomain?: string;
  /** Told about each Service that cannot be served, and why. */
  skip?: (service: string, why: string) => void;
}

/**
 * One DiscoveredService per Service, ready when an EndpointSlice of it has a ready endpoint on the MCP port. A
 * Service without a selector is skipped: AuthorizationPolicy and EnvoyFilter select workloads by it, and an empty
 * selector would select every workload of the namespace.
 */
export function toDiscovered(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  opts: MappingOptions = {},
): DiscoveredService[] {
  const domain = opts.clusterDomain ?? 'cluster.local';
  const slicesBy = new Map<string, V1EndpointSlice[]>();
  for (const slice of slices) {
    const owner = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!owner) continue;
    const key = `${slice.metadata?.namespace}/${owner}`;
    slicesBy.set(key, [...(slicesBy.get(key) ?? []), slice]);
  }
  const out: DiscoveredService[] = [];
  for (const svc of services) {
    const name = svc.metadata?.name;
    const namespace = svc.metadata?.namespace;
    if (!name || !namespace) continue;
    const key = `${namespace}/${name}`;
    const selector = svc.spec?.selector ?? {};
    if (Object.keys(selector).length === 0) {
      opts.skip?.(key, 'it has no selector; give the Service a selector matching its pods');
      continue;
    }
    const named = svc.spec?.ports?.find((p) => p.name === MCP_PORT_NAME);
    const port = named?.port ?? DEFAULT_MCP_PORT;
    const host = `${name}.${namespace}.svc.${domain}`;
    out.push({
      name,
      namespace,
      host,
      port,
      url: `http://${host}:${port}/mcp`,
      ready: (slicesBy.get(key) ?? []).some((s) => sliceReady(s, named !== undefined)),
      selector: { ...selector },
    });
  }
  return out;
}

/** A ready endpoint (Kubernetes: an absent `ready` means ready) in a slice that carries the MCP port. */
function sliceReady(slice: V1EndpointSlice, namedPort: boolean): boolean {
  const ports = slice.ports ?? [];
  // Slice ports carry the Service port's name; without an `mcp` port any slice of the Service will do.
  if (namedPort && ports.length > 0 && !ports.some((p) => p.name === MCP_PORT_NAME)) return false;
  return (slice.endpoints ?? []).some((e) => e.conditions?.ready !== false);
}
