// The caching hints (SEP-2549) a 2026-07-28 server gives its lists, as the collector lists them: read off every page
// the SDK client fetches (its auto-paging keeps only the first page's) and merged over the pages.
import type { Client } from '@modelcontextprotocol/client';
import { mergeHints } from '../catalogRules.js';
import type { CacheHint, ListKind } from '../types.js';

const LISTS: Record<string, ListKind> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

export type ListHints = Partial<Record<ListKind, CacheHint>>;

/**
 * One page's hints. The revision requires both fields; one missing or malformed counts as the spec's conservative
 * reading, 0 (immediately stale) and private, rather than as a grant.
 */
export function pageHint(result: unknown): CacheHint {
  const r = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
  const ttl = r['ttlMs'];
  return {
    ttlMs: typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 0 ? ttl : 0,
    cacheScope: r['cacheScope'] === 'public' ? 'public' : 'private',
  };
}

/**
 * Watches the client's requests from now on and returns what its list pages said, per list. The hints are only
 * the server's when it answered in 2026-07-28: an older revision has no such fields, so it gives none (undefined).
 */
export function watchListHints(client: Client): () => ListHints | undefined {
  const seen: ListHints = {};
  const request = client.request.bind(client) as (...args: unknown[]) => Promise<unknown>;
  // The SDK walks a list's pages through request(), so every page passes here, the first one included.
  client.request = (async (...args: unknown[]) => {
    const result = await request(...args);
    const kind = LISTS[(args[0] as { method?: string } | undefined)?.method ?? ''];
    if (kind !== undefined) {
      const hint = pageHint(result);
      const before = seen[kind];
      seen[kind] = before === undefined ? hint : mergeHints(before, hint);
    }
    return result;
  }) as Client['request'];
  return () => (client.getProtocolEra() === 'modern' ? { ...seen } : undefined);
}
