// The catalog, the one structure the pipeline's stages share: built from discovered services and their tools in the
// canonical order (control/catalogRules.ts), and compared, so a no-op update is skipped. Pure: no I/O.
import { isObject } from '../../shared/json.js';
import type {
  CacheHint,
  Catalog,
  CatalogService,
  CatalogTool,
  DiscoveredService,
  ListKind,
  ServerOfferings,
  ServiceHealth,
  ToolDescriptor,
} from '../types.js';

export type { ToolDescriptor } from '../types.js';

import { byRoute, byToolName, copyUpstream, holdsSessions, MAX_TOOLS_PER_SERVICE } from '../catalogRules.js';
import { assignRoutes, serviceKey, toolName } from './naming.js';
import { catalogOfferings } from './offerings.js';

export interface CatalogInput {
  service: DiscoveredService;
  /** undefined: never collected (the service is listed with no tools). */
  tools: readonly ToolDescriptor[] | undefined;
  /** Its prompts, resources and templates, when collected with the tools. */
  offerings?: ServerOfferings;
  /** The caching hints its lists carried (a 2026-07-28 server), when collected with the tools. */
  cacheHints?: Partial<Record<ListKind, CacheHint>>;
  health: ServiceHealth;
}

export interface BuildOptions {
  /** Routes no service may take, e.g. the control service's own route. */
  reserved?: readonly string[];
  /**
   * What the last build made of each service, by service key: a service whose inputs are the very same objects and
   * whose route is unchanged is taken from it as it was (its warnings too), so a change to one service rebuilds only
   * that service. buildCatalog keeps it up to date; give the same map to every build of one catalog's lifetime.
   */
  memo?: BuildMemo;
}

interface Built {
  input: CatalogInput;
  route: string;
  service: CatalogService;
  warnings: string[];
}

export type BuildMemo = Map<string, Built>;

const sameInput = (a: CatalogInput, b: CatalogInput): boolean =>
  a.service === b.service &&
  a.tools === b.tools &&
  a.offerings === b.offerings &&
  a.cacheHints === b.cacheHints &&
  a.health === b.health;

const TASK_SUPPORT: readonly unknown[] = ['optional', 'required'];

function toCatalogTool(name: string, t: ToolDescriptor, tasks: boolean): CatalogTool {
  const out: CatalogTool = {
    name,
    tool: t.name,
    // A tool without a schema takes no arguments; clients require an object schema.
    inputSchema: isObject(t.inputSchema) ? t.inputSchema : { type: 'object' },
  };
  if (typeof t.title === 'string') out.title = t.title;
  if (typeof t.description === 'string') out.description = t.description;
  if (isObject(t.outputSchema)) out.outputSchema = t.outputSchema;
  if (isObject(t.annotations)) out.annotations = t.annotations;
  const support = isObject(t.execution) ? t.execution['taskSupport'] : undefined;
  if (tasks && TASK_SUPPORT.includes(support)) out.execution = { taskSupport: support as 'optional' | 'required' };
  if (t.sessionOnly === true) out.sessionOnly = true;
  return out;
}

/**
 * Builds the canonical catalog. Problems with single tools (a name outside contract 1, a duplicate, too many) drop
 * that tool and are reported in warnings; they never fail the build.
 */
export function buildCatalog(
  inputs: readonly CatalogInput[],
  opts: BuildOptions = {},
): { catalog: Catalog; warnings: string[] } {
  const warnings: string[] = [];
  const unique = new Map<string, CatalogInput>();
  for (const input of inputs) {
    const key = serviceKey(input.service);
    if (unique.has(key)) warnings.push(`service ${key} was discovered twice; the first one is used`);
    else unique.set(key, input);
  }
  const routes = assignRoutes(
    [...unique.values()].map((i) => i.service),
    opts.reserved,
  );
  const services: CatalogService[] = [];
  const memo = opts.memo;
  if (memo) for (const key of memo.keys()) if (!unique.has(key)) memo.delete(key);
  for (const [key, input] of unique) {
    const route = routes.get(key)!;
    const last = memo?.get(key);
    if (last && last.route === route && sameInput(last.input, input)) {
      services.push(last.service);
      warnings.push(...last.warnings);
      continue;
    }
    const built = buildService(key, route, input);
    memo?.set(key, { input, route, ...built });
    services.push(built.service);
    warnings.push(...built.warnings);
  }
  services.sort(byRoute);
  return { catalog: { services }, warnings };
}

/** One service of the catalog: its tools named and checked, its offerings wrapped; what was dropped, as warnings. */
function buildService(
  key: string,
  route: string,
  { service, tools, offerings, cacheHints, health }: CatalogInput,
): { service: CatalogService; warnings: string[] } {
  const warnings: string[] = [];
  const seen = new Set<string>();
  const list: CatalogTool[] = [];
  // Tools run as tasks only where the gateway carries them (a server that keeps sessions, in a session kept for it).
  const tasks =
    tools !== undefined &&
    offerings?.sessionTasks === true &&
    service.upstream !== undefined &&
    holdsSessions(service.upstream.protocols);
  for (const t of tools ?? []) {
    if (!isObject(t) || typeof t.name !== 'string') {
      warnings.push(`${key}: a tool without a name was dropped`);
      continue;
    }
    const named = toolName(route, t.name);
    if ('problem' in named) {
      warnings.push(`${key}: tool dropped: ${named.problem}`);
      continue;
    }
    if (seen.has(t.name)) {
      warnings.push(`${key}: tool ${t.name} is listed twice; the first one is used`);
      continue;
    }
    seen.add(t.name);
    list.push(toCatalogTool(named.name, t, tasks));
  }
  list.sort(byToolName);
  if (list.length > MAX_TOOLS_PER_SERVICE) {
    warnings.push(`${key}: ${list.length} tools, only the first ${MAX_TOOLS_PER_SERVICE} by name are served`);
    list.length = MAX_TOOLS_PER_SERVICE;
  }
  return {
    warnings,
    service: {
      route,
      name: service.name,
      namespace: service.namespace,
      host: service.host,
      port: service.port,
      selector: { ...service.selector },
      ...(service.upstream ? { upstream: copyUpstream(service.upstream) } : {}),
      health: { ...health },
      tools: list,
      ...catalogOfferings(route, key, tools === undefined ? undefined : offerings, warnings),
      ...(tasks ? { sessionTasks: true as const } : {}),
      ...(tools !== undefined && cacheHints && Object.keys(cacheHints).length > 0
        ? { cacheHints: { ...cacheHints } }
        : {}),
    },
  };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Whether an update changes anything downstream stages act on. Health counts only as healthy/unhealthy: the time of
 * the last success, the failure count and the error text change on every refresh and would otherwise turn each
 * refresh into a render, an apply and a list_changed notification to every client.
 */
export function sameCatalog(a: Catalog | undefined, b: Catalog | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.services.length !== b.services.length) return false;
  return a.services.every((s, i) => {
    const t = b.services[i]!;
    // A service the build took from its memo is the very object published before.
    if (s === t) return true;
    const { health: hs, ...rs } = s;
    const { health: ht, ...rt } = t;
    return hs.healthy === ht.healthy && deepEqual(rs, rt);
  });
}
