// Turns Services and EndpointSlices (as the informers cache them) into DiscoveredServices. Pure, so the rules are
// tested without a cluster.
import { createHash } from 'node:crypto';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { DNS_LABEL, protocolsProblem, upstreamPathProblem } from '../catalogRules.js';
import type { DiscoveredService, McpUpstream } from '../types.js';

export const MCP_PORT_NAME = 'mcp';
export const DEFAULT_MCP_PORT = 3000;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The Service label naming the service its tools belong to (the sidecar's SERVICE_NAME, from the pods' `app`). */
export const APP_LABEL = 'app';

/** Declares that the Service's pods serve MCP themselves, on this path of the `mcp` port (no meshmcp sidecar). */
export const UPSTREAM_PATH_ANNOTATION = 'meshmcp.io/upstream-path';
/** The revisions such a server speaks, comma-separated; default DEFAULT_UPSTREAM_PROTOCOLS. */
export const UPSTREAM_PROTOCOLS_ANNOTATION = 'meshmcp.io/upstream-protocols';
export const DEFAULT_UPSTREAM_PROTOCOLS = ['2025-11-25'];
/**
 * `"true"`: the pods' MCP port is a meshmcp sidecar in bridge mode in front of that server (sidecar/README.md, Bridge
 * mode), which relays the server's requests for input between the revisions; the gateway then gives each exchange a
 * pod affinity.
 */
export const UPSTREAM_BRIDGE_ANNOTATION = 'meshmcp.io/upstream-bridge';

/** The Service's upstream declaration: undefined for a sidecar, a string naming what is wrong, or the upstream. */
export function upstreamOf(svc: V1Service): McpUpstream | string | undefined {
  const a = svc.metadata?.annotations ?? {};
  const path = a[UPSTREAM_PATH_ANNOTATION];
  const listed = a[UPSTREAM_PROTOCOLS_ANNOTATION];
  const bridge = a[UPSTREAM_BRIDGE_ANNOTATION];
  if (path === undefined) {
    if (listed !== undefined) return `${UPSTREAM_PROTOCOLS_ANNOTATION} needs ${UPSTREAM_PATH_ANNOTATION} too`;
    return bridge === undefined ? undefined : `${UPSTREAM_BRIDGE_ANNOTATION} needs ${UPSTREAM_PATH_ANNOTATION} too`;
  }
  if (bridge !== undefined && bridge !== 'true' && bridge !== 'false') {
    return `${UPSTREAM_BRIDGE_ANNOTATION}: ${JSON.stringify(bridge.slice(0, 40))} is not "true" or "false"`;
  }
  const pathProblem = upstreamPathProblem(path);
  if (pathProblem !== undefined) return `${UPSTREAM_PATH_ANNOTATION}: ${pathProblem}`;
  const protocols =
    listed === undefined
      ? [...DEFAULT_UPSTREAM_PROTOCOLS]
      : listed
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '');
  const problem = protocolsProblem(protocols);
  if (problem !== undefined) return `${UPSTREAM_PROTOCOLS_ANNOTATION}: ${problem}`;
  return { path, protocols: [...new Set(protocols)].sort(), ...(bridge === 'true' ? { bridge: true as const } : {}) };
}

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
    const upstream = upstreamOf(svc);
    if (typeof upstream === 'string') {
      opts.skip?.(key, `${upstream}; fix the annotation`);
      continue;
    }
    const named = svc.spec?.ports?.find((p) => p.name === MCP_PORT_NAME);
    const port = named?.port ?? DEFAULT_MCP_PORT;
    const host = `${serviceName}.${namespace}.svc.${domain}`;
    const mcpSlices = (slicesBy.get(key) ?? []).filter((s) => carriesMcpPort(s, named !== undefined));
    const pods = podsFingerprint(mcpSlices);
    out.push({
      name,
      namespace,
      host,
      port,
      url: opts.urlOverrides?.[key] ?? `http://${host}:${port}${upstream?.path ?? '/mcp'}`,
      ready: pods !== undefined,
      ...(pods !== undefined ? { pods } : {}),
      selector: { ...selector },
      ...(upstream ? { upstream } : {}),
    });
  }
  return out;
}

/** Slice ports carry the Service port's name; without an `mcp` port any slice of the Service will do. */
function carriesMcpPort(slice: V1EndpointSlice, namedPort: boolean): boolean {
  const ports = slice.ports ?? [];
  return !(namedPort && ports.length > 0 && !ports.some((p) => p.name === MCP_PORT_NAME));
}

/**
 * The ready endpoints (Kubernetes: an absent `ready` means ready) of these slices, each by its pod's uid (else its
 * addresses), as a short digest of the sorted set; undefined when none is ready. Equal sets give equal digests
 * whatever the order of the slices or their endpoints.
 */
export function podsFingerprint(slices: readonly V1EndpointSlice[]): string | undefined {
  const ready: string[] = [];
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      ready.push(e.targetRef?.uid ?? [...(e.addresses ?? [])].sort().join(','));
    }
  }
  if (ready.length === 0) return undefined;
  return createHash('sha256').update(ready.sort().join('\n')).digest('hex').slice(0, 16);
}
