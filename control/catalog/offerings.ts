// A server's prompts, resources and resource templates in the aggregated catalog: prompts named `<route>__<prompt>`
// as tools are, and URIs wrapped as `meshmcp://<route>/<the server's URI>` so the gateway can tell which server a
// resources/read is for and hand it back its own URI (contract 1). Pure; what does not fit is dropped with a warning.
import { isObject } from '../../shared/json.js';
import {
  CARRIED_EXTENSIONS,
  cmp,
  MAX_OFFERINGS_PER_SERVICE,
  MAX_URI_LENGTH,
  RESOURCE_SCHEME,
} from '../catalogRules.js';
import type {
  CatalogPrompt,
  CatalogResource,
  CatalogResourceTemplate,
  CatalogService,
  ServerOfferings,
} from '../types.js';
import { toolName } from './naming.js';

/** The URI a client sees for a server's URI (or URI template). */
export const wrapUri = (route: string, uri: string): string => `${RESOURCE_SCHEME}${route}/${uri}`;

/** The optional descriptive members every kind shares, copied only when well-typed. */
function describe(from: Record<string, unknown>, to: Record<string, unknown>): void {
  for (const k of ['title', 'description', 'mimeType']) if (typeof from[k] === 'string') to[k] = from[k];
  if (typeof from['size'] === 'number') to['size'] = from['size'];
  if (isObject(from['annotations'])) to['annotations'] = from['annotations'];
  if (Array.isArray(from['icons'])) to['icons'] = from['icons'];
}

function capped<T>(list: T[], what: string, key: string, warnings: string[]): T[] {
  if (list.length <= MAX_OFFERINGS_PER_SERVICE) return list;
  warnings.push(`${key}: ${list.length} ${what}, only the first ${MAX_OFFERINGS_PER_SERVICE} are served`);
  return list.slice(0, MAX_OFFERINGS_PER_SERVICE);
}

function prompts(route: string, key: string, given: unknown[], warnings: string[]): CatalogPrompt[] {
  const seen = new Set<string>();
  const out: CatalogPrompt[] = [];
  for (const p of given) {
    if (!isObject(p) || typeof p['name'] !== 'string') {
      warnings.push(`${key}: a prompt without a name was dropped`);
      continue;
    }
    const named = toolName(route, p['name']);
    if ('problem' in named) {
      warnings.push(`${key}: prompt dropped: ${named.problem.replace('tool name', 'prompt name')}`);
      continue;
    }
    if (seen.has(named.name)) continue;
    seen.add(named.name);
    const c = { name: named.name, prompt: p['name'] } as CatalogPrompt;
    describe(p, c as unknown as Record<string, unknown>);
    if (Array.isArray(p['arguments'])) c.arguments = p['arguments'];
    out.push(c);
  }
  return capped(
    out.sort((a, b) => cmp(a.name, b.name)),
    'prompts',
    key,
    warnings,
  );
}

/**
 * Resources (uri) or templates (uriTemplate): the URI wrapped for the route, the server's own kept under `own`
 * (resource, template), duplicates and URIs too long to serve dropped.
 */
function wrapped<T>(
  route: string,
  key: string,
  given: unknown[],
  warnings: string[],
  uriKey: 'uri' | 'uriTemplate',
  own: 'resource' | 'template',
): T[] {
  const what = uriKey === 'uri' ? 'resource' : 'resource template';
  const seen = new Set<string>();
  const out: Array<Record<string, unknown>> = [];
  for (const r of given) {
    if (!isObject(r) || typeof r[uriKey] !== 'string' || typeof r['name'] !== 'string') {
      warnings.push(`${key}: a ${what} without a ${uriKey} and a name was dropped`);
      continue;
    }
    const uri = wrapUri(route, r[uriKey]);
    if (uri.length > MAX_URI_LENGTH) {
      warnings.push(`${key}: ${what} ${r[uriKey].slice(0, 80)} dropped: its URI is longer than ${MAX_URI_LENGTH}`);
      continue;
    }
    if (seen.has(uri)) continue;
    seen.add(uri);
    const c: Record<string, unknown> = { [uriKey]: uri, [own]: r[uriKey], name: r['name'] };
    describe(r, c);
    out.push(c);
  }
  out.sort((a, b) => cmp(String(a[uriKey]), String(b[uriKey])));
  return capped(out, `${what}s`, key, warnings) as T[];
}

/** The catalog members for what a server offers besides tools; a kind it lists none of is left out. */
export function catalogOfferings(
  route: string,
  key: string,
  given: ServerOfferings | undefined,
  warnings: string[],
): Pick<CatalogService, 'prompts' | 'resources' | 'resourceTemplates' | 'extensions'> {
  const out: Pick<CatalogService, 'prompts' | 'resources' | 'resourceTemplates' | 'extensions'> = {};
  if (!given) return out;
  const p = prompts(route, key, given.prompts ?? [], warnings);
  const r = wrapped<CatalogResource>(route, key, given.resources ?? [], warnings, 'uri', 'resource');
  const t = wrapped<CatalogResourceTemplate>(
    route,
    key,
    given.resourceTemplates ?? [],
    warnings,
    'uriTemplate',
    'template',
  );
  if (p.length > 0) out.prompts = p;
  if (r.length > 0) out.resources = r;
  if (t.length > 0) out.resourceTemplates = t;
  const carried = (given.extensions ?? []).filter((e) => CARRIED_EXTENSIONS.includes(e)).sort();
  if (carried.length > 0) out.extensions = carried;
  return out;
}
