// The catalog runner against real sidecars on loopback: pagination, a sidecar down, a slow sidecar, name
// collisions across namespaces, and no-op refreshes that publish nothing.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogRunner, nextSlotMs, type RefreshReport, refreshTickMs } from '../../control/catalog/runner.js';
import { sortCatalog, validateCatalog } from '../../control/catalogRules.js';
import type { Catalog, DiscoveredService } from '../../control/types.js';
import { DEFAULT_PAGE_SIZE } from '../../sidecar/mcp/dispatch.js';
import { startTestSidecar, type TestSidecar } from '../support/sidecar.js';
import { echoTool, failingTool, manyTools, TEST_TOOLS } from '../support/testTools.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sidecar(tools = TEST_TOOLS): Promise<TestSidecar> {
  const s = await startTestSidecar(tools);
  cleanups.push(() => s.close());
  return s;
}

function service(name: string, namespace: string, url: string, ready = true): DiscoveredService {
  const u = new URL(url);
  return { name, namespace, host: u.hostname, port: Number(u.port), url, ready, selector: { app: name } };
}

function runner(opts: ConstructorParameters<typeof CatalogRunner>[0] = {}): CatalogRunner {
  const r = new CatalogRunner({ cacheTtlMs: 3_600_000, limits: { timeoutMs: 2_000 }, ...opts });
  cleanups.push(() => r.stop());
  return r;
}

/** A port that refuses connections: bound, then closed. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/mcp`;
}

/** A sidecar that hangs: a loopback server that accepts every request and never answers it. */
async function hangingUrl(): Promise<string> {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => held.push(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

/**
 * A server whose every answer is a tools/list result of `bytes` bytes, with its length declared or (chunked) not:
 * what a misbehaving sidecar could send.
 */
async function oversizedUrl(bytes: number, declared: boolean): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const id = (JSON.parse(body) as { id?: unknown }).id ?? null;
      const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"tools":[],"pad":"`;
      const text = `${head}${'x'.repeat(Math.max(0, bytes - head.length - 4))}"}}`;
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(declared ? { 'content-length': text.length } : {}),
      });
      if (declared) res.end(text);
      else {
        // Chunked: the length shows only as it streams.
        for (let i = 0; i < text.length; i += 4096) res.write(text.slice(i, i + 4096));
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

function toolNames(c: Catalog | undefined, route: string): string[] {
  return c?.services.find((s) => s.route === route)?.tools.map((t) => t.name) ?? [];
}

describe('CatalogRunner with real sidecars', () => {
  it('collects every page of a large tools/list, with descriptions and schemas passed through', async () => {
    const many = await sidecar(manyTools(250));
    expect(DEFAULT_PAGE_SIZE).toBeLessThan(250); // so the sidecar really paginates
    const r = runner();
    await r.update([service('payment-service', 'production', many.mcpUrl)]);
    const c = r.current()!;
    expect(validateCatalog(c)).toEqual([]);
    expect(sortCatalog(c)).toEqual(c);
    const svc = c.services[0]!;
    expect(svc.route).toBe('payment-service');
    expect(svc.health).toMatchObject({ healthy: true, consecutiveFailures: 0 });
    expect(svc.tools).toHaveLength(250);
    expect(svc.tools[0]).toMatchObject({
      name: 'payment-service__tool_000',
      tool: 'tool_000',
      description: echoTool.description,
      inputSchema: echoTool.inputSchema,
      annotations: echoTool.annotations,
    });
    expect(svc.tools.at(-1)!.name).toBe('payment-service__tool_249');
  });

  it('stops at the page cap and reports the service unhealthy instead of following cursors forever', async () => {
    const many = await sidecar(manyTools(250));
    const r = runner({ limits: { maxPages: 2, timeoutMs: 2_000 } });
    await r.update([service('payment-service', 'production', many.mcpUrl)]);
    const health = r.current()!.services[0]!.health;
    expect(health.healthy).toBe(false);
    expect(health.error).toMatch(/more than 2 pages/);
  });

  it('keeps a failing sidecar’s last tools, marked unhealthy, through the grace period, then drops them', async () => {
    const down = await sidecar([echoTool, failingTool]);
    const up = await sidecar([echoTool]);
    let now = Date.parse('2026-01-01T00:00:00Z');
    const reports: RefreshReport[] = [];
    const r = runner({ gracePeriodMs: 60_000, clock: () => now, onRefresh: (rep) => reports.push(rep) });
    const published: Catalog[] = [];
    r.onChange((c) => published.push(c));
    await r.update([service('orders', 'production', down.mcpUrl), service('users', 'production', up.mcpUrl)]);
    expect(toolNames(r.current(), 'orders')).toEqual(['orders__echo', 'orders__fails']);

    await down.close();
    now += 1_000;
    await r.refreshNow();
    let orders = r.current()!.services.find((s) => s.route === 'orders')!;
    expect(orders.health).toMatchObject({
      healthy: false,
      consecutiveFailures: 1,
      lastSuccess: '2026-01-01T00:00:00.000Z',
    });
    expect(orders.health.error).toMatch(/tools\/list from http:\/\/127\.0\.0\.1:\d+\/mcp failed/);
    expect(toolNames(r.current(), 'orders')).toEqual(['orders__echo', 'orders__fails']);
    expect(toolNames(r.current(), 'users')).toEqual(['users__echo']);

    now += 60_000; // the failures began 60 s ago: the grace period is over
    await r.refreshNow();
    orders = r.current()!.services.find((s) => s.route === 'orders')!;
    expect(orders.health.consecutiveFailures).toBe(2);
    expect(orders.tools).toEqual([]);
    expect(toolNames(r.current(), 'users')).toEqual(['users__echo']);
    // first catalog, the health flip, the dropped tools
    expect(published.map((c) => toolNames(c, 'orders').length)).toEqual([2, 2, 0]);
    expect(reports.map((rep) => rep.changed)).toEqual([true, true, true]);
  });

  it('marks a service that never answered unhealthy with no tools, and lists the others', async () => {
    const up = await sidecar([echoTool]);
    const r = runner();
    await r.update([service('ghost', 'production', await closedPortUrl()), service('users', 'staging', up.mcpUrl)]);
    const c = r.current()!;
    expect(c.services.map((s) => [s.route, s.health.healthy, s.tools.length])).toEqual([
      ['ghost', false, 0],
      ['users', true, 1],
    ]);
    expect(c.services[0]!.health.error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('does not let a sidecar that never answers hold up the others', async () => {
    const up = await sidecar([echoTool]);
    const r = runner({ concurrency: 2, limits: { timeoutMs: 300 } });
    const services = [service('stuck', 'production', await hangingUrl())];
    for (let i = 0; i < 4; i++) services.push(service(`svc-${i}`, 'production', up.mcpUrl));
    await r.update(services);
    const c = r.current()!;
    expect(c.services.find((s) => s.route === 'stuck')!.health).toMatchObject({ healthy: false });
    expect(c.services.find((s) => s.route === 'stuck')!.health.error).toMatch(/did not finish in time/);
    for (let i = 0; i < 4; i++) expect(toolNames(c, `svc-${i}`)).toEqual([`svc-${i}__echo`]);
  });

  it('disambiguates the same Service name in two namespaces, stably, and keeps unique names', async () => {
    const a = await sidecar([echoTool]);
    const b = await sidecar([echoTool, failingTool]);
    const r = runner();
    const set = [
      service('payment-service', 'staging', b.mcpUrl),
      service('payment-service', 'production', a.mcpUrl),
      service('users', 'production', a.mcpUrl),
    ];
    await r.update(set);
    const first = r.current()!;
    expect(first.services.map((s) => `${s.route} ${s.namespace}/${s.name}`)).toEqual([
      'payment-service-production production/payment-service',
      'payment-service-staging staging/payment-service',
      'users production/users',
    ]);
    expect(toolNames(first, 'payment-service-staging')).toEqual([
      'payment-service-staging__echo',
      'payment-service-staging__fails',
    ]);
    const other = runner();
    await other.update([...set].reverse());
    expect(other.current()!.services.map((s) => s.route)).toEqual(first.services.map((s) => s.route));
  });

  it('publishes nothing when a refresh changes nothing, and publishes when discovery removes a service', async () => {
    const s = await sidecar([echoTool]);
    const r = runner();
    const published: Catalog[] = [];
    r.onChange((c) => published.push(c));
    const set = [service('users', 'production', s.mcpUrl), service('orders', 'production', s.mcpUrl)];
    await r.update(set);
    await r.refreshNow();
    await r.update([...set]);
    await r.refreshNow();
    expect(published).toHaveLength(1);
    await r.update([set[0]!]);
    expect(published).toHaveLength(2);
    expect(published[1]!.services.map((x) => x.route)).toEqual(['users']);
  });

  it('refuses an answer above maxResponseBytes, declared or chunked, and keeps the other services', async () => {
    const s = await sidecar([echoTool]);
    const r = runner({ limits: { timeoutMs: 2_000, maxResponseBytes: 64 * 1024 } });
    await r.update([
      service('declared', 'production', await oversizedUrl(200_000, true)),
      service('chunked', 'production', await oversizedUrl(200_000, false)),
      service('users', 'production', s.mcpUrl),
    ]);
    const health = (route: string) => r.current()!.services.find((x) => x.route === route)!.health;
    expect(health('declared')).toMatchObject({
      healthy: false,
      error: expect.stringMatching(/response of \d+ bytes is above the 65536-byte limit$/),
    });
    expect(health('chunked')).toMatchObject({
      healthy: false,
      error: expect.stringMatching(/response is above the 65536-byte limit$/),
    });
    expect(health('users').healthy).toBe(true);
    // Within the limit, a declared length is read as it is.
    const fits = runner({ limits: { timeoutMs: 2_000, maxResponseBytes: 256 * 1024 } });
    await fits.update([service('declared', 'production', await oversizedUrl(200_000, true))]);
    expect(fits.current()!.services[0]!.health.error ?? '').not.toMatch(/limit/);
  });

  it('leaves no connection open to a sidecar once its collection is done', async () => {
    const s = await sidecar([echoTool]);
    const open = new Set<unknown>();
    let opened = 0;
    s.server.on('connection', (sock) => {
      opened++;
      open.add(sock);
      sock.once('close', () => open.delete(sock));
    });
    const r = runner();
    await r.update([service('users', 'production', s.mcpUrl)]);
    await r.refreshNow();
    expect(r.current()!.services[0]!.health.healthy).toBe(true);
    expect(opened).toBeGreaterThan(0);
    // The sidecar closes each connection after its answer; wait for the last close to arrive.
    for (let i = 0; i < 100 && open.size > 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(open.size).toBe(0);
  });

  it('does not call a service without a ready endpoint, and reports why', async () => {
    const r = runner();
    await r.update([service('users', 'production', await hangingUrl(), false)]);
    expect(r.current()!.services[0]!.health).toMatchObject({
      healthy: false,
      error: expect.stringMatching(/no ready endpoint/),
    });
  });
});

describe('CatalogRunner refreshes incrementally', () => {
  const TTL = 300_000;
  const collectedAt = (r: CatalogRunner) =>
    new Map(r.current()!.services.map((x) => [`${x.namespace}/${x.name}`, x.health.lastSuccess]));

  it('gives each service its own slot, never more than CACHE_TTL after its last collection', () => {
    for (const ttl of [1_000, 5_000, 300_000, 86_400_000]) {
      const tick = refreshTickMs(ttl);
      const t0 = Date.parse('2026-12-01T00:00:00Z');
      const slots = Array.from({ length: 200 }, (_, i) => nextSlotMs(ttl, `ns/svc-${i}`, t0));
      for (const [i, slot] of slots.entries()) {
        expect(slot).toBeGreaterThan(t0);
        // Collected at the first tick after its slot, then due again a period later: within CACHE_TTL.
        expect(slot - t0 + tick).toBeLessThanOrEqual(ttl);
        const collected = slot + tick * 0.99;
        expect(nextSlotMs(ttl, `ns/svc-${i}`, collected) + tick - collected).toBeLessThanOrEqual(ttl);
      }
      // Spread over the whole TTL, so each tick asks a slice; the same for the same key on every replica and restart.
      const ticksUsed = new Set(slots.map((slot) => Math.floor((slot - t0) / tick)));
      expect(ticksUsed.size).toBeGreaterThan(40);
      expect(nextSlotMs(ttl, 'ns/svc-7', t0)).toBe(slots[7]);
    }
  });

  it('collects again only the services whose slot has come', async () => {
    const s = await sidecar([echoTool]);
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    let now = t0;
    const r = runner({ cacheTtlMs: TTL, clock: () => now });
    const set = Array.from({ length: 12 }, (_, i) => service(`svc-${i}`, 'production', s.mcpUrl));
    await r.update(set);
    const first = collectedAt(r);
    now += TTL / 2;
    await r.refreshDue();
    const again = collectedAt(r);
    const due = set.map((x) => `production/${x.name}`).filter((k) => nextSlotMs(TTL, k, t0) <= now);
    // Both kinds are present among twelve keys, so the test tells them apart.
    expect(due.length).toBeGreaterThan(0);
    expect(due.length).toBeLessThan(set.length);
    for (const [key, at] of again) {
      if (due.includes(key)) expect(at).toBe(new Date(now).toISOString());
      else expect(at).toBe(first.get(key));
    }
    // A whole TTL after the first round, every service has been collected again.
    now = t0 + TTL;
    await r.refreshDue();
    for (const [key, at] of collectedAt(r)) expect(at).not.toBe(first.get(key));
  });

  it("collects each service again on the refresh timer's ticks, with no call from outside", async () => {
    const s = await sidecar([echoTool]);
    // A TTL of 600 ms: the timer ticks every 10 ms and each service's slot comes within 600 ms of its collection.
    const r = runner({ cacheTtlMs: 600 });
    await r.update([service('users', 'production', s.mcpUrl), service('orders', 'production', s.mcpUrl)]);
    const first = collectedAt(r);
    for (let i = 0; i < 500 && [...collectedAt(r)].some(([k, at]) => at === first.get(k)); i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    for (const [key, at] of collectedAt(r)) expect(at, key).not.toBe(first.get(key));
  });

  it('collects a service again at once when its pods change, and nothing when discovery repeats itself', async () => {
    const s = await sidecar([echoTool]);
    let now = Date.parse('2026-12-01T00:00:00Z');
    const r = runner({ cacheTtlMs: TTL, clock: () => now });
    const set = ['users', 'orders', 'billing'].map((n) => ({
      ...service(n, 'production', s.mcpUrl),
      pods: `${n}-v1`,
    }));
    await r.update(set);
    const first = collectedAt(r);
    now += 1_000;
    await r.update(set.map((x) => ({ ...x })));
    expect(collectedAt(r)).toEqual(first);
    await r.update(set.map((x) => (x.name === 'orders' ? { ...x, pods: 'orders-v2' } : x)));
    const after = collectedAt(r);
    expect(after.get('production/orders')).toBe(new Date(now).toISOString());
    expect(after.get('production/users')).toBe(first.get('production/users'));
    expect(after.get('production/billing')).toBe(first.get('production/billing'));
  });
});
