// The aggregated lists' caching hints (2026-07-28, SEP-2549) and the control service's per-caller view cache,
// through the real fastify app on loopback and the real SDK v2 client: the shortest ttlMs and the most private
// cacheScope of the servers behind a caller's list and of the control service's own bound win; a list the policy
// could show callers differently is private; no caller is ever served another's list, from the cache included; a
// new catalog empties the cache. The clock is fixed, so no figure depends on timing.
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { CacheHint, Catalog, CatalogService, GatewayPolicy } from '../../control/types.js';
import { catalogOf, connectAs, type RunningControl, service, startControl } from './support/controlApp.js';

const NOW = Date.parse('2026-08-01T12:00:00.000Z');
const NEXT_ROUND = NOW + 300_000;
const ALLOW_ALL: GatewayPolicy['policy'] = { default: 'allow', rules: [] };

let control: RunningControl | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await control?.close();
  control = undefined;
});

/** A service collected `ageMs` before NOW whose tools list carried `tools` (and its prompts list `prompts`). */
function hinted(
  route: string,
  names: string[],
  hints: { tools?: CacheHint; prompts?: CacheHint },
  ageMs = 0,
): CatalogService {
  const s = service(route, names);
  s.health = { healthy: true, consecutiveFailures: 0, lastSuccess: new Date(NOW - ageMs).toISOString() };
  s.prompts = [{ name: `${route}__brief`, prompt: 'brief' }];
  s.cacheHints = hints;
  return s;
}

const pub = (ttlMs: number): CacheHint => ({ ttlMs, cacheScope: 'public' });
const priv = (ttlMs: number): CacheHint => ({ ttlMs, cacheScope: 'private' });

/**
 * a: 60 s public, collected 10 s ago (50 s left); b: 20 s public, just collected; old: an older revision's server
 * (no hints).
 */
const CATALOG = catalogOf(
  hinted('a', ['one', 'two'], { tools: pub(60_000), prompts: pub(600_000) }, 10_000),
  hinted('b', ['one'], { tools: pub(20_000), prompts: priv(600_000) }),
  service('old', ['one']),
);

async function start(policy: GatewayPolicy['policy'], catalog: Catalog = CATALOG, nextRound = NEXT_ROUND) {
  control = await startControl(policy, { clock: () => NOW });
  control.endpoint.setCatalog(catalog);
  control.endpoint.collected(catalog, nextRound);
  return control;
}

async function caller(path: string, principal: string, groups: string[] = [], headers: Record<string, string> = {}) {
  const client = await connectAs(`${control!.url}${path}`, '2026-07-28', principal, groups, undefined, headers);
  clients.push(client);
  return client;
}

/** One tools/list answer's hints and names (the client's own cache bypassed). */
async function tools(client: Client) {
  const r = (await client.listTools(undefined, { cacheMode: 'bypass' })) as {
    tools: Array<{ name: string }>;
  } & Partial<CacheHint>;
  return { ttlMs: r.ttlMs, cacheScope: r.cacheScope, names: r.tools.map((t) => t.name) };
}

describe('caching hints of the aggregated lists', () => {
  it('takes the shortest ttlMs and the most private cacheScope of the servers behind the list', async () => {
    await start(ALLOW_ALL);
    // b's 20 s beats a's remaining 50 s and the 300 s to the next round; every server says public, the policy
    // shows everyone the same list, and the older server gives no hint: public.
    expect(await tools(await caller('', 'alice'))).toMatchObject({ ttlMs: 20_000, cacheScope: 'public' });
    const prompts = (await (
      await caller('', 'alice')
    ).listPrompts(undefined, { cacheMode: 'bypass' })) as Partial<CacheHint>;
    // prompts/list has its own hints: b's prompts are private.
    expect(prompts).toMatchObject({ ttlMs: 300_000, cacheScope: 'private' });
  });

  it("bounds the ttl by the control service's next scheduled refresh, and by each hint's age", async () => {
    await start(ALLOW_ALL, CATALOG, NOW + 5_000);
    expect(await tools(await caller('', 'alice'))).toMatchObject({ ttlMs: 5_000 });
    const stale = catalogOf(hinted('a', ['one'], { tools: pub(60_000) }, 61_000));
    await start(ALLOW_ALL, stale);
    expect(await tools(await caller('', 'alice'))).toMatchObject({ ttlMs: 0 });
  });

  it("bounds a caller's ttl by the next collection of the servers that could change its list, not of every server", async () => {
    const policy: GatewayPolicy['policy'] = {
      default: 'allow',
      rules: [{ effect: 'deny', groups: ['contractors'], tools: ['b__*'] }],
    };
    control = await startControl(policy, { clock: () => NOW });
    control.endpoint.setCatalog(CATALOG);
    // b is collected again in 4 s, a in 40 s, old in 100 s; the soonest of all is b's.
    const next = new Map([
      ['a', NOW + 40_000],
      ['b', NOW + 4_000],
      ['old', NOW + 100_000],
    ]);
    control.endpoint.collected(CATALOG, NOW + 4_000, next);
    // Alice's list has b's tools: its next collection bounds her ttl.
    expect(await tools(await caller('', 'alice'))).toMatchObject({ ttlMs: 4_000 });
    // No item of b can reach a contractor: only a (40 s, before its own 50 s hint) and old bound the list.
    expect(await tools(await caller('', 'carol', ['contractors']))).toMatchObject({ ttlMs: 40_000 });
  });

  it('says 0 while no refresh schedule is known', async () => {
    control = await startControl(ALLOW_ALL, { clock: () => NOW });
    control.endpoint.setCatalog(CATALOG);
    expect(await tools(await caller('', 'alice'))).toMatchObject({ ttlMs: 0 });
  });

  it('counts only the servers a caller could be shown, and their scope only where it sees their items', async () => {
    const policy: GatewayPolicy['policy'] = {
      default: 'allow',
      rules: [{ effect: 'deny', groups: ['contractors'], tools: ['b__*'] }],
    };
    await start(policy);
    // The group rule makes the list differ between callers: private for everyone, whatever the servers say.
    expect(await tools(await caller('', 'alice'))).toEqual({
      ttlMs: 20_000,
      cacheScope: 'private',
      names: ['a__one', 'a__two', 'b__one', 'old__one'],
    });
    // No item of b can ever be listed to a contractor, so b's 20 s does not count; a's 50 s does.
    expect(await tools(await caller('', 'carol', ['contractors']))).toEqual({
      ttlMs: 50_000,
      cacheScope: 'private',
      names: ['a__one', 'a__two', 'old__one'],
    });
  });

  it('counts a server whose items the caller does not see today but could tomorrow', async () => {
    // Only tools named *__one are denied: a tool b adds later (b__two) would be listed, so b's ttl counts.
    const policy: GatewayPolicy['policy'] = {
      default: 'allow',
      rules: [{ effect: 'deny', groups: ['contractors'], tools: ['*__one'] }],
    };
    await start(policy);
    expect(await tools(await caller('', 'carol', ['contractors']))).toEqual({
      ttlMs: 20_000,
      cacheScope: 'private',
      names: ['a__two'],
    });
  });

  it("gives a server's own endpoint that server's hints", async () => {
    await start(ALLOW_ALL);
    expect(await tools(await caller('/a', 'alice'))).toEqual({
      ttlMs: 50_000,
      cacheScope: 'public',
      names: ['one', 'two'],
    });
    expect(await tools(await caller('/b', 'alice'))).toMatchObject({ ttlMs: 20_000, cacheScope: 'public' });
    // An older revision's server gives none: the control service's own bound.
    expect(await tools(await caller('/old', 'alice'))).toMatchObject({ ttlMs: 300_000, cacheScope: 'public' });
    const prompts = (await (
      await caller('/b', 'alice')
    ).listPrompts(undefined, { cacheMode: 'bypass' })) as Partial<CacheHint>;
    expect(prompts).toMatchObject({ cacheScope: 'private' });
  });

  it('keeps a list private when a delegate key or a forbidden rule could show it differently', async () => {
    const forbidden: GatewayPolicy['policy'] = {
      default: 'allow',
      rules: [{ effect: 'deny', tools: ['a__two'], onDeny: 'forbidden', scope: 'mcp:admin' }],
    };
    await start(forbidden);
    expect(await tools(await caller('', 'alice'))).toMatchObject({ cacheScope: 'private' });
    // The lists of the other servers' own endpoints hold no such item.
    expect(await tools(await caller('/b', 'alice'))).toMatchObject({ cacheScope: 'public' });
  });

  it('puts no hint members on a 2025-11-25 answer', async () => {
    await start(ALLOW_ALL);
    const legacy = await connectAs(control!.url, '2025-11-25', 'alice');
    clients.push(legacy);
    const result = await legacy.listTools(undefined, { cacheMode: 'bypass' });
    expect(result).not.toHaveProperty('ttlMs');
    expect(result).not.toHaveProperty('cacheScope');
  });
});

describe('the per-caller view cache', () => {
  const POLICY: GatewayPolicy['policy'] = {
    default: 'deny',
    rules: [
      { name: 'pack', effect: 'allow', groups: ['pack'], tools: ['a__*'] },
      { name: 'sre', effect: 'allow', groups: ['sre'] },
      { name: 'dev', effect: 'allow', groups: ['dev'], tools: ['b__*'] },
    ],
  };

  it("never serves one caller's list to another, from the cache included", async () => {
    await start(POLICY);
    const everything = ['a__one', 'a__two', 'b__one', 'old__one'];
    const bobsView = ['b__one'];
    const views = {
      alice: { client: await caller('', 'alice', ['sre']), names: everything },
      bob: { client: await caller('', 'bob', ['dev']), names: bobsView },
      // alice's principal with bob's groups, and alice through a pack key: neither is alice's context.
      aliceAsDev: { client: await caller('', 'alice', ['dev']), names: bobsView },
      aliceViaPack: {
        client: await caller('', 'alice', ['sre'], { 'x-meshmcp-via': 'pack', 'x-meshmcp-via-groups': 'pack' }),
        names: ['a__one', 'a__two'],
      },
      nobody: { client: await caller('', 'mallory'), names: [] },
    };
    for (let round = 0; round < 3; round++) {
      for (const v of Object.values(views)) expect((await tools(v.client)).names).toEqual(v.names);
    }
    const stats = control!.endpoint.cacheStats();
    // One view per context; every later request was served from the cache.
    expect(stats.entries).toBe(5);
    expect(stats.misses).toBe(5);
    expect(stats.hits).toBe(10);
    const metrics = await (await fetch(control!.url.replace(/\/mcp$/, '/metrics'))).text();
    expect(metrics).toContain('mcp_gateway_control_list_views 5');
    expect(metrics).toContain('mcp_gateway_control_list_view_lookups_total{result="hit"} 10');
    expect(metrics).toContain('mcp_gateway_control_list_view_lookups_total{result="miss"} 5');
  });

  it('empties on a new catalog, which every caller then sees', async () => {
    await start(POLICY);
    const alice = await caller('', 'alice', ['sre']);
    const bob = await caller('', 'bob', ['dev']);
    expect((await tools(alice)).names).toEqual(['a__one', 'a__two', 'b__one', 'old__one']);
    expect((await tools(bob)).names).toEqual(['b__one']);
    expect(control!.endpoint.cacheStats().entries).toBe(2);
    const next = catalogOf(
      hinted('a', ['one'], { tools: pub(60_000) }),
      hinted('b', ['one', 'three'], { tools: pub(90_000) }),
    );
    control!.endpoint.setCatalog(next);
    expect(control!.endpoint.cacheStats().entries).toBe(0);
    expect(await tools(alice)).toMatchObject({ names: ['a__one', 'b__one', 'b__three'] });
    expect(await tools(bob)).toMatchObject({ names: ['b__one', 'b__three'] });
    // A catalog that changes only a server's hint is a new catalog too: the new hint is served.
    control!.endpoint.setCatalog(
      catalogOf(hinted('a', ['one'], { tools: pub(60_000) }), hinted('b', ['one', 'three'], { tools: pub(1_000) })),
    );
    expect(await tools(bob)).toMatchObject({ ttlMs: 1_000 });
  });

  it('holds at most its capacity, dropping the least recently used view', async () => {
    control = await startControl(ALLOW_ALL, { cacheSize: 2 });
    control.endpoint.setCatalog(CATALOG);
    for (const who of ['p1', 'p2', 'p3', 'p1']) expect((await tools(await caller('', who))).names).toHaveLength(4);
    // p1's view was dropped for p3's, so its second request computed it again.
    expect(control.endpoint.cacheStats()).toEqual({ entries: 2, hits: 0, misses: 4 });
  });
});
