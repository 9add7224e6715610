// The invariants render relies on before it writes a catalog into Envoy: contract 1 names and the bounds of
// filter/config.schema.json. The catalog stage guarantees them; render checks again because a bad table in Envoy
// fails every request, while a refused render keeps the last good one.

import type { Catalog, CatalogService } from '../types.js';
import { RenderError } from './errors.js';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const TOOL = /^[A-Za-z0-9_-]{1,64}$/;
/** filter/config.schema.json: services maxItems, service.tools maxItems. */
export const MAX_SERVICES = 4096;
export const MAX_TOOLS_PER_SERVICE = 1024;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Services sorted by route and their tools by name, so equal catalogs render byte for byte the same. */
export function canonicalServices(catalog: Catalog): CatalogService[] {
  return [...catalog.services]
    .sort((a, b) => byCodeUnits(a.route, b.route))
    .map((s) => ({ ...s, tools: [...s.tools].sort((a, b) => byCodeUnits(a.name, b.name)) }));
}

/** Throws a RenderError naming the first service or tool that would make the filter refuse its configuration. */
export function checkCatalog(catalog: Catalog, controlRoute: string): void {
  if (catalog.services.length > MAX_SERVICES) {
    throw new RenderError(
      `the catalog has ${catalog.services.length} services, above the filter's routing-table limit of ${MAX_SERVICES}; ` +
        'narrow discovery (ALLOWED_NAMESPACES) or run one gateway per group of namespaces',
    );
  }
  const routes = new Map<string, string>();
  for (const s of catalog.services) {
    const where = `service ${s.namespace}/${s.name}`;
    if (!DNS_LABEL.test(s.route) || s.route.length > 63) {
      throw new RenderError(
        `${where}: route ${JSON.stringify(s.route)} is not a DNS label (contract 1); the catalog must name routes after Kubernetes Services`,
      );
    }
    if (s.route === controlRoute) {
      throw new RenderError(
        `${where}: route ${JSON.stringify(s.route)} is the control service's route; rename the Service or set control.route to another name`,
      );
    }
    const other = routes.get(s.route);
    if (other !== undefined) {
      throw new RenderError(
        `${where}: route ${JSON.stringify(s.route)} is also the route of service ${other}; the catalog must disambiguate it (contract 1)`,
      );
    }
    routes.set(s.route, `${s.namespace}/${s.name}`);
    if (!DNS_LABEL.test(s.namespace) || s.namespace.length > 63)
      throw new RenderError(`${where}: namespace is not a DNS label`);
    if (!HOST.test(s.host) || s.host.length > 253) {
      throw new RenderError(
        `${where}: host ${JSON.stringify(s.host)} is not a lower-case DNS name; fix the services file or the Service`,
      );
    }
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
      throw new RenderError(`${where}: port ${s.port} is not 1-65535`);
    if (s.tools.length > MAX_TOOLS_PER_SERVICE) {
      throw new RenderError(
        `${where}: ${s.tools.length} tools, above the filter's limit of ${MAX_TOOLS_PER_SERVICE} per service; split the service's tools.yaml`,
      );
    }
    const tools = new Set<string>();
    for (const t of s.tools) {
      if (!TOOL.test(t.tool))
        throw new RenderError(
          `${where}: tool ${JSON.stringify(t.tool)} does not match ^[A-Za-z0-9_-]{1,64}$ (contract 1)`,
        );
      if (t.name !== `${s.route}__${t.tool}` || !TOOL.test(t.name)) {
        throw new RenderError(
          `${where}: tool ${JSON.stringify(t.name)} is not named ${s.route}__${t.tool} within 64 characters, so the gateway could not route it (contract 1)`,
        );
      }
      if (tools.has(t.tool)) throw new RenderError(`${where}: tool ${JSON.stringify(t.tool)} is listed twice`);
      tools.add(t.tool);
    }
  }
}
