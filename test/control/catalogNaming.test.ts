// Contract 1 and the catalog's pure parts: route assignment and tool names (properties with fast-check), the build's
// warnings, validateCatalog(), sortCatalog() and sameCatalog(); and discovery's change gate.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCatalog, type CatalogInput, sameCatalog } from '../../control/catalog/catalog.js';
import { assignRoutes, serviceKey, toolName } from '../../control/catalog/naming.js';
import { DNS_LABEL, sortCatalog, validateCatalog } from '../../control/catalogRules.js';
import { ChangeGate } from '../../control/discovery/discovery.js';
import type { DiscoveredService } from '../../control/types.js';
import { TOOL_NAME } from '../../shared/toolName.js';

const label = fc
  .tuple(fc.stringMatching(/^[a-z0-9]$/), fc.stringMatching(/^[a-z0-9-]{0,61}$/), fc.stringMatching(/^[a-z0-9]$/))
  .map(([a, mid, z]) => (mid.length === 0 ? a : `${a}${mid}${z}`).slice(0, 63))
  .filter((s) => DNS_LABEL.test(s));
// Few distinct names and namespaces, so collisions are common.
const name = fc.oneof(fc.constantFrom('api', 'payment-service', 'api-staging', 'a'.repeat(63)), label);
const namespace = fc.oneof(fc.constantFrom('production', 'staging', 'x'.repeat(63)), label);
const refs = fc.uniqueArray(fc.record({ name, namespace }), { selector: serviceKey, maxLength: 30 });

describe('routes (contract 1)', () => {
  it('are DNS labels, unique, independent of input order, and plain names where unambiguous', () => {
    fc.assert(
      fc.property(refs, fc.infiniteStream(fc.nat()), (services, randoms) => {
        const routes = assignRoutes(services, ['meshmcp-control']);
        const values = [...routes.values()];
        expect(new Set(values).size).toBe(services.length);
        for (const r of values) expect(r).toMatch(DNS_LABEL);
        expect(values).not.toContain('meshmcp-control');
        const shuffled = [...services].sort(() => (randoms.next().value % 3) - 1);
        expect(assignRoutes(shuffled, ['meshmcp-control'])).toEqual(routes);
        for (const s of services) {
          const unique = services.filter((o) => o.name === s.name).length === 1;
          const route = routes.get(serviceKey(s))!;
          if (unique && s.name !== 'meshmcp-control') expect(route).toBe(s.name);
          if (!unique) expect(route.length).toBeLessThanOrEqual(32);
        }
      }),
    );
  });

  it('full tool names always match the client regex and stay within 64 characters, or are refused', () => {
    fc.assert(
      fc.property(label, fc.string({ maxLength: 80 }), (route, tool) => {
        const r = toolName(route, tool);
        if ('name' in r) {
          expect(r.name).toMatch(TOOL_NAME);
          expect(r.name).toBe(`${route}__${tool}`);
        } else {
          expect(/^[A-Za-z0-9_-]{1,64}$/.test(tool) && route.length + 2 + tool.length <= 64).toBe(false);
        }
      }),
    );
  });

  it('disambiguates with <name>-<namespace>, or a hash when that is long', () => {
    const routes = assignRoutes([
      { name: 'api', namespace: 'production' },
      { name: 'api', namespace: 'staging' },
      { name: 'api-staging', namespace: 'dev' },
      { name: 'payment-service', namespace: 'production-eu-west-1' },
      { name: 'payment-service', namespace: 'staging' },
    ]);
    expect(Object.fromEntries(routes)).toEqual({
      'dev/api-staging': 'api-staging',
      'production/api': 'api-production',
      // `api-staging` belongs to the unique Service of that name
      'staging/api': expect.stringMatching(/^api-[0-9a-f]{8}$/),
      'production-eu-west-1/payment-service': expect.stringMatching(/^payment-service-[0-9a-f]{8}$/),
      'staging/payment-service': 'payment-service-staging',
    });
  });
});

function input(name: string, namespace: string, tools: CatalogInput['tools']): CatalogInput {
  return {
    service: {
      name,
      namespace,
      host: `${name}.${namespace}.svc.cluster.local`,
      port: 3000,
      url: `http://${name}.${namespace}.svc.cluster.local:3000/mcp`,
      ready: true,
      selector: { app: name },
    },
    tools,
    health: { healthy: true, consecutiveFailures: 0, lastSuccess: '2026-01-01T00:00:00.000Z' },
  };
}

describe('buildCatalog', () => {
  it('drops tools that break contract 1 with a warning, sorts, and validates', () => {
    const { catalog, warnings } = buildCatalog([
      input('users', 'production', [
        { name: 'zeta', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
        { name: 'has.dot' },
        { name: 'x'.repeat(60) },
        { name: 'alpha', description: 'first' },
        { name: 'alpha', description: 'again' },
      ]),
      input('orders', 'production', undefined),
    ]);
    expect(validateCatalog(catalog)).toEqual([]);
    expect(sortCatalog(catalog)).toEqual(catalog);
    expect(catalog.services.map((s) => s.route)).toEqual(['orders', 'users']);
    expect(catalog.services[1]!.tools).toEqual([
      { name: 'users__alpha', tool: 'alpha', description: 'first', inputSchema: { type: 'object' } },
      { name: 'users__zeta', tool: 'zeta', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/production\/users: tool dropped: tool name "has.dot" is not 1-64/),
      expect.stringMatching(
        /production\/users: tool dropped: users__x{60} is 67 characters, above 64: shorten the tool name to at most 57/,
      ),
      'production/users: tool alpha is listed twice; the first one is used',
    ]);
  });

  it('validateCatalog() names each broken service and the fix; sortCatalog() restores the canonical order', () => {
    const { catalog } = buildCatalog([input('users', 'production', [{ name: 'a' }]), input('orders', 'p', [])]);
    const broken = structuredClone(catalog);
    broken.services.reverse();
    broken.services[0]!.tools[0]!.name = 'users__b';
    broken.services[1]!.route = 'users';
    expect(validateCatalog(broken, { reservedRoute: 'orders' })).toEqual([
      'service production/users: tool "users__b" is not named users__a within 64 characters, so the gateway could not route it (contract 1)',
      'service p/orders: route "users" is also the route of service production/users; the catalog must disambiguate it (contract 1)',
    ]);
    expect(validateCatalog(catalog, { reservedRoute: 'orders' })).toEqual([
      `service p/orders: route "orders" is the control service's route; rename the Service or set control.route to another name`,
    ]);
    const unsorted = structuredClone(catalog);
    unsorted.services.reverse();
    expect(sortCatalog(unsorted)).toEqual(catalog);
  });

  it('sameCatalog ignores refresh timestamps and failure counts but not health flips, tools or schemas', () => {
    const a = buildCatalog([input('users', 'production', [{ name: 'a', inputSchema: { type: 'object' } }])]).catalog;
    const b = structuredClone(a);
    b.services[0]!.health.lastSuccess = '2026-02-02T00:00:00.000Z';
    expect(sameCatalog(a, b)).toBe(true);
    b.services[0]!.health.healthy = false;
    expect(sameCatalog(a, b)).toBe(false);
    const c = structuredClone(a);
    c.services[0]!.tools[0]!.inputSchema = { type: 'object', properties: {} };
    expect(sameCatalog(a, c)).toBe(false);
    expect(sameCatalog(undefined, a)).toBe(false);
  });
});

describe('ChangeGate', () => {
  it('passes on the sorted set only when it changed', () => {
    const seen: DiscoveredService[][] = [];
    const gate = new ChangeGate((s) => seen.push(s));
    const a = input('a', 'production', undefined).service;
    const b = input('b', 'production', undefined).service;
    expect(gate.offer([b, a])).toBe(true);
    expect(gate.offer([a, { ...b, selector: { app: 'b' } }])).toBe(false);
    expect(gate.offer([a])).toBe(true);
    expect(seen.map((s) => s.map((x) => x.name))).toEqual([['a', 'b'], ['a']]);
  });
});

describe('buildCatalog with a memo (one service changed, one service rebuilt)', () => {
  // A service's inputs, as the runner keeps them: the same objects until it is collected again or rediscovered.
  const toolsFor = (n: number) => [{ name: 'get_health' }, { name: `tool_${n}` }, { name: 'bad name' }];
  const step = fc.record({
    which: fc.nat({ max: 5 }),
    what: fc.constantFrom('collect', 'rediscover', 'remove', 'add'),
    ns: fc.constantFrom('production', 'staging'),
    tools: fc.nat({ max: 3 }),
  });

  it('gives what a build without it gives, reusing exactly the services whose inputs and route are unchanged', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const memo = new Map();
        const inputs = new Map<string, CatalogInput>();
        const names = ['api', 'orders', 'billing', 'api', 'users', 'orders'];
        for (let i = 0; i < 3; i++) {
          const first = input(names[i]!, 'production', toolsFor(i));
          inputs.set(serviceKey(first.service), first);
        }
        let last = buildCatalog([...inputs.values()], { memo }).catalog;
        for (const s of steps) {
          const fresh = input(names[s.which]!, s.ns, toolsFor(s.tools));
          const key = serviceKey(fresh.service);
          const had = inputs.get(key);
          const previous = new Map(inputs);
          if (s.what === 'remove') inputs.delete(key);
          else if (s.what === 'add' || !had) inputs.set(key, fresh);
          else if (s.what === 'collect') inputs.set(key, { ...had, tools: fresh.tools, health: fresh.health });
          else inputs.set(key, { ...had, service: { ...had.service, pods: String(s.tools) } });
          const list = [...inputs.values()];
          const withMemo = buildCatalog(list, { memo });
          const without = buildCatalog(list);
          expect(withMemo).toEqual(without);
          // Whatever kept its inputs and its route is the very object built before; the rest are new.
          for (const out of withMemo.catalog.services) {
            const before = last.services.find((b) => b.name === out.name && b.namespace === out.namespace);
            const key = `${out.namespace}/${out.name}`;
            const [now, then] = [inputs.get(key)!, previous.get(key)];
            const same = then !== undefined && then.service === now.service && then.tools === now.tools;
            if (before !== undefined && before.route === out.route && same) expect(out).toBe(before);
            else expect(out).not.toBe(before);
          }
          expect(memo.size).toBe(inputs.size);
          expect(sameCatalog(last, withMemo.catalog)).toBe(sameCatalog(last, without.catalog));
          last = withMemo.catalog;
        }
      }),
    );
  });
});
