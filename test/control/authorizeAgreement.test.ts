// The control service's authorize() (which filters tools/list) must decide exactly as the compiled filter decides
// tools/call. A property test drives both with random policies, callers and tools: the TypeScript port directly, the
// release meshmcp.wasm through the Envoy-faithful host with the caller as jwt_authn claims.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize, globMatch, type Identity } from '../../control/mcp/authorize.js';
import type { GatewayPolicy, PolicyRule } from '../../control/types.js';
import { example, gateway, jwt, post, replyJson, toolsCall } from '../filter/harness.js';

const TOOLS = [
  'payment-service__get_health',
  'payment-service__get_logs',
  'payment-service__refund_payment',
  'user-service__get_health',
  'user-service__query_users',
  'mqtt-publisher__publish_test_message',
];
const PRINCIPALS = ['alice', 'bob', 'spiffe://cluster.local/ns/ops/sa/bot'];
const GROUPS = ['sre', 'sre-readonly', 'dev'];
const SCOPES = ['mcp:admin', 'mcp:refund'];

const globOf = (values: string[]) =>
  fc.oneof(
    fc.constantFrom(...values),
    fc.constantFrom(...values).map((v) => `${v.slice(0, 3)}*`),
    fc.constantFrom(...values).map((v) => `*${v.slice(-4)}`),
    fc.constant('*'),
  );

const ruleArb: fc.Arbitrary<PolicyRule> = fc
  .record(
    {
      effect: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
      principals: fc.array(globOf(PRINCIPALS), { minLength: 1, maxLength: 2 }),
      groups: fc.array(globOf(GROUPS), { minLength: 1, maxLength: 2 }),
      tools: fc.array(globOf(TOOLS), { minLength: 1, maxLength: 2 }),
      methods: fc.constantFrom(['tools/call'], ['tools/*'], ['resources/*']),
      forbidden: fc.constantFrom(...SCOPES),
    },
    { requiredKeys: ['effect'] },
  )
  .map((r) => {
    const rule: PolicyRule = { effect: r.effect };
    if (r.principals) rule.principals = r.principals;
    if (r.groups) rule.groups = r.groups;
    if (r.tools) rule.tools = r.tools;
    if (r.methods) rule.methods = [...r.methods];
    if (r.effect === 'deny' && r.forbidden) {
      rule.onDeny = 'forbidden';
      rule.scope = r.forbidden;
    }
    return rule;
  });

const caseArb = fc.record({
  policy: fc.record({
    default: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
    rules: fc.array(ruleArb, { maxLength: 5 }),
  }),
  principal: fc.constantFrom(...PRINCIPALS),
  groups: fc.subarray(GROUPS),
  scopes: fc.subarray(SCOPES),
  tool: fc.constantFrom(...TOOLS),
});

type Verdict = 'allowed' | 'unknownTool' | 'forbidden';

describe('authorize agreement between the control service and the filter', () => {
  it('globMatch agrees with a regular expression built from the glob', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*]{0,6}$/), fc.stringMatching(/^[ab]{0,8}$/), (pattern, value) => {
        const re = new RegExp(`^${pattern.replace(/\*/g, '.*')}$`);
        expect(globMatch(pattern, value)).toBe(re.test(value));
      }),
    );
  });

  it('decides every random policy, caller and tool as the compiled filter does', async () => {
    const base = example('gateway');
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const id: Identity = { principal: c.principal, groups: c.groups, scopes: c.scopes };
        const policy: GatewayPolicy['policy'] = c.policy;
        const d = authorize(policy, id, 'tools/call', c.tool);
        const expected: Verdict = d.allowed ? 'allowed' : d.onDeny === 'forbidden' ? 'forbidden' : 'unknownTool';

        const plugin = await gateway({ ...base, policy, rateLimits: undefined });
        const claims: Record<string, unknown> = { sub: c.principal, groups: c.groups, scope: c.scopes.join(' ') };
        const r = post(plugin, toolsCall(c.tool), { properties: jwt(claims) });
        let actual: Verdict;
        if (r.forwarded) actual = 'allowed';
        else if (r.response?.status === 403) actual = 'forbidden';
        else {
          expect(replyJson(r).error.code).toBe(-32602);
          actual = 'unknownTool';
        }
        expect(actual).toBe(expected);
      }),
      { numRuns: 150 },
    );
  });
});
