// The catalog records the caching hints (SEP-2549) each 2026-07-28 server gives its lists: per list, merged over the
// pages (the shortest ttlMs, the most private cacheScope), from real SDK v2 servers and a real sidecar on loopback.
// An older revision gives none.
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalog, sameCatalog } from '../../control/catalog/catalog.js';
import { pageHint } from '../../control/catalog/listHints.js';
import { CatalogRunner, nextSlotMs, refreshTickMs } from '../../control/catalog/runner.js';
import type { DiscoveredService } from '../../control/types.js';
import { startTestSidecar } from '../support/sidecar.js';
import { TEST_TOOLS } from '../support/testTools.js';
import { type ListingServerOptions, startListingServer } from './support/listingServer.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function discovered(name: string, url: string): DiscoveredService {
  const u = new URL(url);
  return {
    name,
    namespace: 'tools',
    host: u.hostname,
    port: Number(u.port),
    url,
    ready: true,
    selector: { app: name },
  };
}

/** The catalog entry of one server collected by a real runner. */
async function collected(name: string, url: string) {
  const runner = new CatalogRunner({ cacheTtlMs: 3_600_000, limits: { timeoutMs: 5_000 }, watchLists: false });
  cleanups.push(() => runner.stop());
  await runner.update([discovered(name, url)]);
  const service = runner.current()?.services.find((s) => s.route === name);
  expect(service?.health.healthy, service?.health.error).toBe(true);
  return service!;
}

async function server(opts: ListingServerOptions) {
  const s = await startListingServer(opts);
  cleanups.push(() => s.close());
  return s;
}

describe('caching hints in the catalog', () => {
  it("records a 2026-07-28 server's hints per list, merged over every page", async () => {
    const s = await server({
      era: '2026-07-28',
      tools: [
        { names: ['a', 'b'], fields: { ttlMs: 60_000, cacheScope: 'public' } },
        { names: ['c'], fields: { ttlMs: 5_000, cacheScope: 'public' } },
        { names: ['d'], fields: { ttlMs: 90_000, cacheScope: 'public' } },
      ],
      prompts: [
        { names: ['p1'], fields: { ttlMs: 30_000, cacheScope: 'public' } },
        { names: ['p2'], fields: { ttlMs: 40_000, cacheScope: 'private' } },
      ],
    });
    const entry = await collected('listing', s.url);
    expect(entry.tools.map((t) => t.tool)).toEqual(['a', 'b', 'c', 'd']);
    expect(entry.prompts?.map((p) => p.prompt)).toEqual(['p1', 'p2']);
    expect(s.calls['tools/list']).toBe(3);
    expect(entry.cacheHints).toEqual({
      tools: { ttlMs: 5_000, cacheScope: 'public' },
      prompts: { ttlMs: 30_000, cacheScope: 'private' },
    });
  });

  it('records none for a server that answered in an older revision, whatever its pages carry', async () => {
    const s = await server({
      era: '2025-11-25',
      tools: [{ names: ['a'], fields: { ttlMs: 60_000, cacheScope: 'public' } }],
    });
    const entry = await collected('legacy', s.url);
    expect(entry.tools.map((t) => t.tool)).toEqual(['a']);
    expect(entry).not.toHaveProperty('cacheHints');
  });

  it("records the sidecar's own: its tools list may change at any time, so 0 and private", async () => {
    const sidecar = await startTestSidecar(TEST_TOOLS);
    cleanups.push(() => sidecar.close());
    const entry = await collected('payment-service', sidecar.mcpUrl);
    expect(entry.cacheHints).toEqual({ tools: { ttlMs: 0, cacheScope: 'private' } });
  });

  it('reads a missing or malformed hint as immediately stale and private, never as a grant', () => {
    expect(pageHint({ ttlMs: 1_000, cacheScope: 'public' })).toEqual({ ttlMs: 1_000, cacheScope: 'public' });
    expect(pageHint({})).toEqual({ ttlMs: 0, cacheScope: 'private' });
    expect(pageHint({ ttlMs: -5, cacheScope: 'shared' })).toEqual({ ttlMs: 0, cacheScope: 'private' });
    expect(pageHint({ ttlMs: 1.5, cacheScope: 'PUBLIC' })).toEqual({ ttlMs: 0, cacheScope: 'private' });
    expect(pageHint({ ttlMs: '1000' })).toEqual({ ttlMs: 0, cacheScope: 'private' });
    expect(pageHint(null)).toEqual({ ttlMs: 0, cacheScope: 'private' });
  });

  it('says when the next scheduled collection may happen: the first tick at or after a slot', async () => {
    let now = 1_000;
    const runner = new CatalogRunner({ cacheTtlMs: 5_000, clock: () => now, watchLists: false });
    expect(runner.nextRoundAt()).toBeUndefined();
    await runner.update([]);
    // Nothing collected yet: nothing can be due before a whole CACHE_TTL.
    expect(runner.nextRoundAt()).toBe(6_000);
    now = 2_000;
    // A service without a ready endpoint is "collected" (it fails) without the network.
    const service = { ...discovered('svc', 'http://127.0.0.1:9/mcp'), ready: false };
    await runner.update([service]);
    const slot = nextSlotMs(5_000, 'tools/svc', 2_000);
    const tick = refreshTickMs(5_000);
    expect(runner.nextRoundAt()).toBe(1_000 + Math.ceil((slot - 1_000) / tick) * tick);
    expect(runner.nextRoundAt()! - 2_000).toBeLessThanOrEqual(5_000);
    // Per service: the one service's next collection is the next round.
    expect(runner.nextCollections()).toEqual(new Map([['tools/svc', runner.nextRoundAt()]]));
    await runner.stop();
    expect(runner.nextRoundAt()).toBeUndefined();
    expect(runner.nextCollections().size).toBe(0);
  });

  it('keeps hints only with collected tools, and a changed hint is a changed catalog', () => {
    const service = discovered('svc', 'http://127.0.0.1:3000/mcp');
    const health = { healthy: true, consecutiveFailures: 0 };
    const hinted = (ttlMs: number) =>
      buildCatalog([
        { service, tools: [{ name: 'a' }], cacheHints: { tools: { ttlMs, cacheScope: 'public' } }, health },
      ]).catalog;
    expect(hinted(1_000).services[0]?.cacheHints).toEqual({ tools: { ttlMs: 1_000, cacheScope: 'public' } });
    expect(sameCatalog(hinted(1_000), hinted(1_000))).toBe(true);
    expect(sameCatalog(hinted(1_000), hinted(2_000))).toBe(false);
    const never = buildCatalog([
      { service, tools: undefined, cacheHints: { tools: { ttlMs: 1_000, cacheScope: 'public' } }, health },
    ]).catalog;
    expect(never.services[0]).not.toHaveProperty('cacheHints');
  });
});
