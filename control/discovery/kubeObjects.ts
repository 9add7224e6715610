// Turns Services and EndpointSlices (as the informers cache them) into DiscoveredServices. Pure, so the rules are
// tested without a cluster.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { DNS_LABEL } from '../catalogRules.js';
import type { DiscoveredService } from '../types.js';

export const MCP_PORT_NAME = 'mcp';
export const DEFAULT_MCP_PORT = 3000;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The Service label naming the service its tools belong to (the sidecar's SERVICE_NAME, from the pods' `app`). */
export const APP_LABEL = 'app';

/**
 * The name tools are prefixed with (`<name>__<tool>`), which must equal the sidecar's SERVICE_NAME: the Service's
 * `app` label when it has one (the example `payment-service-mcp` Service is labelled `app: payment-service`), else the
 * Service name without a trailing `-mcp`.
 */
export function mcpServiceName(svc: V1Service): string {
  const app = svc.metadata?.labels?.[APP_LABEL];
  if (app) return app;
  const name = svc.metadata?.name ?? '';
  return name.endsWith('-mcp') && name.length > 4 ? name.slice(0, -4) : name;
}

export interface MappingOptions {
  clusterDomain?: string;
  /** Told about each Service that cannot be served, and why. */
  skip?: (service: string, why: string) => void;
  /**
   * Where the catalog collects tools/list for some services, by `<namespace>/<Service name>`, instead of the
   * Service's cluster address: for a control service outside the cluster network, and tests whose sidecars listen
   * on loopback (an EndpointSlice cannot hold a loopback address).
   */
  urlOverrides?: Record<string, string>;
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
  const taken = new Map<string, string>();
  const ordered = [...services].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const svc of ordered) {
    const serviceName = svc.metadata?.name;
    const namespace = svc.metadata?.namespace;
    if (!serviceName || !namespace) continue;
    const key = `${namespace}/${serviceName}`;
    const name = mcpServiceName(svc);
    if (!DNS_LABEL.test(name)) {
      opts.skip?.(key, `its app label ${JSON.stringify(name)} is not a DNS label; tools are named after it`);
      continue;
    }
    const other = taken.get(`${namespace}/${name}`);
    if (other !== undefined) {
      opts.skip?.(key, `Service ${other} already serves the tools of ${name} in ${namespace}; label one differently`);
      continue;
    }
    taken.set(`${namespace}/${name}`, serviceName);
    const selector = svc.spec?.selector ?? {};
    if (Object.keys(selector).length === 0) {
      opts.skip?.(key, 'it has no selector; give the Service a selector matching its pods');
      continue;
    }
    const named = svc.spec?.ports?.find((p) => p.name === MCP_PORT_NAME);
    const port = named?.port ?? DEFAULT_MCP_PORT;
    const host = `${serviceName}.${namespace}.svc.${domain}`;
    out.push({
      name,
      namespace,
      host,
      port,
      url: opts.urlOverrides?.[key] ?? `http://${host}:${port}/mcp`,
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
