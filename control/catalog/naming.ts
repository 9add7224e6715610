// Contract 1 (DESIGN.md): the route of each service and the `<route>__<tool>` names clients see. Pure.
import { createHash } from 'node:crypto';
import { MAX_TOOL_NAME, TOOL_NAME } from '../../shared/toolName.js';
import { cmp, DNS_LABEL } from '../catalogRules.js';

/**
 * A disambiguated route is at most this long, so that `<route>__<tool>` leaves at least 30 characters for the tool.
 * Plain Service names are kept as they are (up to 63): the operator chose them.
 */
export const MAX_DISAMBIGUATED_ROUTE = 32;
const HASH_CHARS = 8;

export interface ServiceRef {
  name: string;
  namespace: string;
}

/** `<namespace>/<name>`: the identity of a service across the pipeline. */
export function serviceKey(s: ServiceRef): string {
  return `${s.namespace}/${s.name}`;
}

function shortHash(s: ServiceRef, attempt: number): string {
  const h = createHash('sha256').update(`${s.namespace}/${s.name}#${attempt}`).digest('hex');
  return h.slice(0, HASH_CHARS);
}

/** A route-safe prefix of any name (Kubernetes names already are; a static file's typo must not break the rule). */
function safePrefix(name: string, max: number): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '');
  return clean.slice(0, max).replace(/-+$/, '');
}

/** `<name>-<namespace>` when it fits, else `<name prefix>-<8 hex of sha256(namespace/name)>`. */
function disambiguated(s: ServiceRef, attempt: number): string {
  const plain = `${s.name}-${s.namespace}`;
  if (attempt === 0 && plain.length <= MAX_DISAMBIGUATED_ROUTE && DNS_LABEL.test(plain)) return plain;
  const hash = shortHash(s, attempt);
  const prefix = safePrefix(s.name, MAX_DISAMBIGUATED_ROUTE - HASH_CHARS - 1);
  return prefix === '' ? hash : `${prefix}-${hash}`;
}

/**
 * Assigns every service its route. The rule depends only on the set of services (never on their order or tools), so
 * the same cluster always yields the same names:
 * 1. a Service whose name is unique across namespaces, valid and not reserved keeps its name;
 * 2. the others get `<name>-<namespace>` if that is at most 32 characters and not taken, else
 *    `<name prefix>-<8 hex of sha256("<namespace>/<name>#<n>")>` with the smallest n that is free.
 * Reversal goes through the catalog (each entry keeps name and namespace), never by parsing the route.
 */
export function assignRoutes(services: readonly ServiceRef[], reserved: readonly string[] = []): Map<string, string> {
  const byName = new Map<string, number>();
  for (const s of services) byName.set(s.name, (byName.get(s.name) ?? 0) + 1);
  const taken = new Set<string>(reserved);
  const routes = new Map<string, string>();
  const rest: ServiceRef[] = [];
  // Sorting by key makes step 2's tie-breaks independent of input order.
  const sorted = [...services].sort((a, b) => cmp(serviceKey(a), serviceKey(b)));
  for (const s of sorted) {
    if (byName.get(s.name) === 1 && DNS_LABEL.test(s.name) && !taken.has(s.name)) {
      routes.set(serviceKey(s), s.name);
      taken.add(s.name);
    } else {
      rest.push(s);
    }
  }
  // Plain names are claimed first: a unique Service literally named `api-staging` wins over the disambiguated `api`.
  for (const s of rest) {
    let attempt = 0;
    let route = disambiguated(s, attempt);
    while (taken.has(route)) route = disambiguated(s, ++attempt);
    routes.set(serviceKey(s), route);
    taken.add(route);
  }
  return routes;
}

/** The full name of a tool, or why it cannot have one (it is then dropped with a warning, never fatal). */
export function toolName(route: string, tool: string): { name: string } | { problem: string } {
  if (!TOOL_NAME.test(tool)) {
    return { problem: `tool name ${JSON.stringify(tool.slice(0, 80))} is not 1-64 of [A-Za-z0-9_-]` };
  }
  const name = `${route}__${tool}`;
  if (name.length > MAX_TOOL_NAME) {
    return {
      problem: `${name} is ${name.length} characters, above ${MAX_TOOL_NAME}: shorten the tool name to at most ${MAX_TOOL_NAME - route.length - 2}`,
    };
  }
  return { name };
}
