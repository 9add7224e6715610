// Properties of what the lists' caching rests on, with random policies, callers and catalogs: mayList never rules out
// a server whose items a caller could be listed; listedAlike and askedAlike hold only where every caller is judged
// the same; a list called shared is the same for every caller; and the view cache hands each caller exactly the list
// authorize() gives it, whatever other callers asked before and whatever the cache dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize, type Identity, listable } from '../../control/mcp/authorize.js';
import { ListViews } from '../../control/mcp/listViews.js';
import { askedAlike, listedAlike, mayList } from '../../control/mcp/policyReach.js';
import type { GatewayPolicy, PolicyRule } from '../../control/types.js';
import { catalogOf, service } from './support/controlApp.js';

// Routes whose prefixes overlap ('a__' and 'ab__' share 'a'), tool names that share parts.
const ROUTES = ['a', 'ab', 'b'];
const SUFFIXES = ['x', 'y', 'xy', 'get_logs', 'one'];
const CALLS = ['tools/call', 'prompts/get'];

const glob = fc.oneof(
  fc.constantFrom('*', 'a*', 'a_*', 'a__*', 'ab__*', 'b__x', 'a__xy', '*__x', '*y', 'a__*y', '**'),
  fc.tuple(fc.constantFrom(...ROUTES), fc.constantFrom(...SUFFIXES)).map(([r, s]) => `${r}__${s}`),
);

const rule: fc.Arbitrary<PolicyRule> = fc
  .record(
    {
      effect: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
      principals: fc.constantFrom(['alice'], ['*'], ['b*'], ['alice', 'carol']),
      groups: fc.constantFrom(['sre'], ['dev'], ['*']),
      tools: fc.array(glob, { minLength: 1, maxLength: 2 }),
      methods: fc.constantFrom(['tools/call'], ['tools/*'], ['prompts/get'], ['tools/list'], ['prompts/*']),
      onDeny: fc.constant<'forbidden'>('forbidden'),
      scope: fc.constant('mcp:admin'),
    },
    { requiredKeys: ['effect'] },
  )
  .map((r) => {
    const out: PolicyRule = { effect: r.effect };
    if (r.principals) out.principals = [...r.principals];
    if (r.groups) out.groups = [...r.groups];
    if (r.tools) out.tools = r.tools;
    if (r.methods) out.methods = [...r.methods];
    if (r.onDeny) out.onDeny = r.onDeny;
    if (r.scope) out.scope = r.scope;
    return out;
  });

const policy: fc.Arbitrary<GatewayPolicy['policy']> = fc.record({
  default: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
  rules: fc.array(rule, { maxLength: 5 }),
});

const plain: fc.Arbitrary<Identity> = fc.record({
  principal: fc.constantFrom('alice', 'bob', 'carol'),
  groups: fc.subarray(['sre', 'dev']),
  scopes: fc.subarray(['mcp:admin']),
});

const identity: fc.Arbitrary<Identity> = fc
  .tuple(plain, fc.option(plain, { nil: undefined }))
  .map(([id, via]) => (via === undefined ? id : { ...id, via }));

const names = (route: string) => SUFFIXES.map((s) => `${route}__${s}`);

describe('the caching rules of the lists', () => {
  it('mayList rules a server out only when none of its names could be listed to the caller', () => {
    fc.assert(
      fc.property(policy, identity, fc.constantFrom(...ROUTES), fc.constantFrom(...CALLS), (p, id, route, call) => {
        if (mayList(p, id, call, `${route}__`)) return;
        for (const name of names(route)) expect(listable(p, id, call, name)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('listedAlike and askedAlike hold only where every caller is judged the same', () => {
    fc.assert(
      fc.property(policy, fc.array(identity, { minLength: 2, maxLength: 6 }), (p, ids) => {
        for (const name of ROUTES.flatMap(names)) {
          if (!listedAlike(p, 'tools/call', name)) continue;
          const seen = ids.map((id) => listable(p, id, 'tools/call', name));
          expect(new Set(seen).size).toBe(1);
        }
        if (askedAlike(p, 'tools/list')) {
          expect(new Set(ids.map((id) => authorize(p, id, 'tools/list', '').allowed)).size).toBe(1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('hands every caller exactly its own list through the view cache, and calls a list shared only if it is', () => {
    const catalog = catalogOf(...ROUTES.map((r) => service(r, SUFFIXES)));
    const all = catalog.services.flatMap((s) => s.tools.map((t) => t.name));
    fc.assert(
      fc.property(
        policy,
        fc.array(identity, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.option(fc.constantFrom(...ROUTES), { nil: undefined })), { maxLength: 30 }),
        (p, ids, lookups) => {
          const views = new ListViews(p, { cacheSize: 3 });
          views.setCatalog(catalog);
          for (const [who, route] of lookups) {
            const id = ids[who % ids.length]!;
            const view = route === undefined ? views.view('tools', id) : views.serviceView('tools', id, route);
            const own = all.filter((n) => listable(p, id, 'tools/call', n));
            const expected =
              route === undefined
                ? own
                : own.filter((n) => n.startsWith(`${route}__`)).map((n) => n.slice(route.length + 2));
            expect(view.picked.map((i) => view.wire(i)['name'])).toEqual(expected);
            if (view.shared) {
              for (const other of ids) {
                const theirs =
                  route === undefined ? views.view('tools', other) : views.serviceView('tools', other, route);
                expect(theirs.picked.map(theirs.wire)).toEqual(view.picked.map(view.wire));
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
