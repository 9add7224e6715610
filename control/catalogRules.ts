// The catalog's rules, one home for every stage that makes, reads or checks a catalog: the Kubernetes name patterns
// of contract 1, the bounds of filter/config.schema.json, the canonical order, validateCatalog(), which render
// applies before a catalog reaches Envoy, and how caching hints merge. Pure.
import { MAX_TOOL_NAME, TOOL_NAME } from '../shared/toolName.js';
import type { CacheHint, Catalog, CatalogService, CatalogTool, McpUpstream } from './types.js';

/** A Kubernetes DNS label: Service names, namespaces, and the routes (`<service>` of tool names) made of them. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A lower-case DNS name or IPv4 address, at most 253 characters. */
export const HOST_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** filter/config.schema.json: services maxItems (the filter's routing table). */
export const MAX_SERVICES = 4096;
/** filter/config.schema.json: a service's tools maxItems. */
export const MAX_TOOLS_PER_SERVICE = 1024;

/** Prompts, resources and resource templates served per service (each kind); more are dropped with a warning. */
export const MAX_OFFERINGS_PER_SERVICE = 1024;
/** The scheme a server's resource URIs are wrapped in: `meshmcp://<route>/<the server's URI>` (contract 1). */
export const RESOURCE_SCHEME = 'meshmcp://';
/** Longest wrapped URI served; the gateway filter reads params.uri up to this. */
export const MAX_URI_LENGTH = 2048;
/** The 2026-07-28 tasks extension: the gateway routes its task ids (`t1.<route>.<mac>.<id>`) to the server. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** Protocol extensions of a server that the gateway carries, and the aggregated endpoint advertises when any has. */
export const CARRIED_EXTENSIONS: readonly string[] = [TASKS_EXTENSION];

/** An upstream MCP server's path (filter/config.schema.json `$defs/service` path): absolute, no query, no `..`. */
export const UPSTREAM_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,255}$/;
/** The MCP revisions an upstream may declare (the ones this gateway carries). */
export const MCP_REVISIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
/** The first revision without sessions: an upstream that speaks only such revisions holds no Mcp-Session-Id. */
export const STATELESS_REVISION = '2026-07-28';

/** Why an upstream path cannot be routed to, or undefined. */
export function upstreamPathProblem(path: string): string | undefined {
  if (!UPSTREAM_PATH.test(path) || path.split('/').includes('..')) {
    return `${JSON.stringify(path)} is not an absolute URL path without a query (e.g. /mcp)`;
  }
  return undefined;
}

/** Why a list of MCP revisions cannot be served, or undefined. */
export function protocolsProblem(protocols: readonly string[]): string | undefined {
  if (protocols.length === 0) return 'names no revision; give e.g. 2025-11-25,2026-07-28';
  const unknown = protocols.find((p) => !(MCP_REVISIONS as readonly string[]).includes(p));
  if (unknown !== undefined) {
    return `${JSON.stringify(unknown)} is not an MCP revision this gateway carries (${MCP_REVISIONS.join(', ')})`;
  }
  return undefined;
}

/** Whether an upstream speaking these revisions may hold sessions, so a session must stay on one pod. */
export const holdsSessions = (protocols: readonly string[]): boolean => protocols.some((p) => p < STATELESS_REVISION);

/** Code-unit order, the same on every machine (localeCompare is not). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const byRoute = (a: CatalogService, b: CatalogService): number => cmp(a.route, b.route);
export const byToolName = (a: CatalogTool, b: CatalogTool): number => cmp(a.name, b.name);

/**
 * The canonical order (services by route, tools by name), in which equal catalogs are equal object for object and
 * render byte for byte the same. buildCatalog makes catalogs in it; render sorts whatever it is given.
 */
export function sortCatalog(catalog: Catalog): Catalog {
  return {
    services: [...catalog.services].sort(byRoute).map((s) => ({ ...s, tools: [...s.tools].sort(byToolName) })),
  };
}

export interface ValidateOptions {
  /** A route no service may have: the control service's own. */
  reservedRoute?: string;
}

/**
 * Every way the catalog would make the filter refuse its configuration or misroute a call (contract 1 names, the
 * schema's bounds, lower-case hosts), each naming the service and the fix; empty when it is valid. In the catalog's
 * order, so the first problem is the first one a reader meets.
 */
export function validateCatalog(catalog: Catalog, opts: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  if (catalog.services.length > MAX_SERVICES) {
    problems.push(
      `the catalog has ${catalog.services.length} services, above the filter's routing-table limit of ${MAX_SERVICES}; ` +
        'narrow discovery (ALLOWED_NAMESPACES) or shard the mesh by namespace: a control service and gateway per ' +
        "group of namespaces, each with the render configuration's `shard` (README.md, Scale)",
    );
  }
  const routes = new Map<string, string>();
  for (const s of catalog.services) {
    const where = `service ${s.namespace}/${s.name}`;
    if (!DNS_LABEL.test(s.route)) {
      problems.push(
        `${where}: route ${JSON.stringify(s.route)} is not a DNS label (contract 1); the catalog must name routes after Kubernetes Services`,
      );
    }
    if (s.route === opts.reservedRoute) {
      problems.push(
        `${where}: route ${JSON.stringify(s.route)} is the control service's route; rename the Service or set control.route to another name`,
      );
    }
    const other = routes.get(s.route);
    if (other !== undefined) {
      problems.push(
        `${where}: route ${JSON.stringify(s.route)} is also the route of service ${other}; the catalog must disambiguate it (contract 1)`,
      );
    } else {
      routes.set(s.route, `${s.namespace}/${s.name}`);
    }
    if (!DNS_LABEL.test(s.namespace)) problems.push(`${where}: namespace is not a DNS label`);
    if (!HOST_NAME.test(s.host)) {
      problems.push(
        `${where}: host ${JSON.stringify(s.host)} is not a lower-case DNS name; fix the services file or the Service`,
      );
    }
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
      problems.push(`${where}: port ${s.port} is not 1-65535`);
    if (s.upstream) {
      const problem = upstreamPathProblem(s.upstream.path) ?? protocolsProblem(s.upstream.protocols);
      if (problem !== undefined) problems.push(`${where}: upstream ${problem}`);
    }
    if (s.tools.length > MAX_TOOLS_PER_SERVICE) {
      problems.push(
        `${where}: ${s.tools.length} tools, above the filter's limit of ${MAX_TOOLS_PER_SERVICE} per service; split the service's tools.yaml`,
      );
    }
    const tools = new Set<string>();
    for (const t of s.tools) {
      if (!TOOL_NAME.test(t.tool)) {
        problems.push(`${where}: tool ${JSON.stringify(t.tool)} does not match ${TOOL_NAME.source} (contract 1)`);
      }
      if (t.name !== `${s.route}__${t.tool}` || !TOOL_NAME.test(t.name)) {
        problems.push(
          `${where}: tool ${JSON.stringify(t.name)} is not named ${s.route}__${t.tool} within ${MAX_TOOL_NAME} characters, so the gateway could not route it (contract 1)`,
        );
      }
      if (tools.has(t.tool)) problems.push(`${where}: tool ${JSON.stringify(t.tool)} is listed twice`);
      tools.add(t.tool);
    }
  }
  return problems;
}

/**
 * The caching hints of a result made of parts (a list's pages, the servers in an aggregated list): the shortest
 * ttlMs and the most private cacheScope win, so the whole is never kept longer, nor shared wider, than a part allows.
 */
export function mergeHints(a: CacheHint, b: CacheHint): CacheHint {
  return {
    ttlMs: Math.min(a.ttlMs, b.ttlMs),
    cacheScope: a.cacheScope === 'public' && b.cacheScope === 'public' ? 'public' : 'private',
  };
}

/** A copy of an upstream declaration, its revisions a new array. */
export const copyUpstream = (u: McpUpstream): McpUpstream => ({
  path: u.path,
  protocols: [...u.protocols],
  ...(u.bridge ? { bridge: true as const } : {}),
});
