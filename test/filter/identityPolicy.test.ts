// Who the gateway filter says is calling (mTLS URI SAN, jwt_authn claims, API keys by SHA-256, in configured order)
// and what authorize() lets them do: allow, deny as an unknown tool, or 403 insufficient_scope.

import { describe, expect, it } from 'vitest';
import {
  auditLines,
  example,
  gateway,
  header,
  jwt,
  mtls,
  post,
  replyJson,
  rpc,
  toolsCall,
  withKey,
} from './harness.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource';

describe('identity', () => {
  it('answers a caller no source names with 401 and a resource_metadata challenge', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'));
    expect(r.forwarded).toBeUndefined();
    expect(r.response?.status).toBe(401);
    expect(header(r, 'www-authenticate', 'response')).toBe(`Bearer resource_metadata="${PRM}"`);
    expect(replyJson(r).error.code).toBe(-32001);
  });

  it('refuses an API key whose digest is not configured', async () => {
    const p = await gateway();
    expect(post(p, toolsCall('payment-service__get_health'), withKey('tes')).response?.status).toBe(401);
    expect(post(p, toolsCall('payment-service__get_health'), withKey('test ')).response?.status).toBe(401);
  });

  it('takes the mTLS peer URI SAN as the principal when it has the configured prefix', async () => {
    const config = example('gateway');
    config.policy.rules.unshift({ name: 'mesh', effect: 'allow', principals: ['spiffe://cluster.local/ns/ops/*'] });
    const p = await gateway(config);
    const ok = post(p, toolsCall('payment-service__get_health'), {
      properties: mtls('spiffe://cluster.local/ns/ops/sa/runbook-bot'),
    });
    expect(header(ok, 'x-meshmcp-principal')).toBe('spiffe://cluster.local/ns/ops/sa/runbook-bot');
    expect(header(ok, 'x-meshmcp-groups')).toBeUndefined();
    const foreign = post(p, toolsCall('payment-service__get_health'), {
      properties: mtls('spiffe://other.domain/ns/ops/sa/runbook-bot'),
    });
    expect(foreign.response?.status).toBe(401);
  });

  it('reads JWT claims from jwt_authn metadata: sub, a groups list, nested roles, a scope string', async () => {
    const p = await gateway();
    const r = post(p, rpc('tools/list', {}), {
      properties: jwt({ sub: 'alice@example.com', groups: ['developers', 'oncall'], realm_access: { roles: ['sre'] } }),
    });
    expect(header(r, 'x-meshmcp-principal')).toBe('alice@example.com');
    expect(header(r, 'x-meshmcp-groups')).toBe('developers,oncall,sre');
    const single = post(p, rpc('tools/list', {}), { properties: jwt({ sub: 'bob', groups: 'developers' }) });
    expect(header(single, 'x-meshmcp-groups')).toBe('developers');
  });

  it('uses the first source that names the caller, in configured order', async () => {
    const p = await gateway();
    // mtls comes first in the example: a peer certificate wins over a JWT and an API key.
    const r = post(p, rpc('ping'), {
      ...withKey(),
      properties: { ...mtls('spiffe://cluster.local/ns/a/sa/b'), ...jwt({ sub: 'alice' }) },
    });
    expect(header(r, 'x-meshmcp-principal')).toBe('spiffe://cluster.local/ns/a/sa/b');
    const jwtFirst = post(p, rpc('ping'), { ...withKey(), properties: jwt({ sub: 'alice' }) });
    expect(header(jwtFirst, 'x-meshmcp-principal')).toBe('alice');
    const keyOnly = post(p, rpc('ping'), withKey());
    expect(header(keyOnly, 'x-meshmcp-principal')).toBe('ci-bot');
  });

  it('skips non-string items of a groups list (Envoy hands them over as binary) and counts them', async () => {
    const p = await gateway();
    const r = post(p, rpc('tools/list', {}), {
      properties: jwt({ sub: 'carol', groups: [42, 'sre', true, ['nested'], 0.5, 'oncall'] }),
    });
    expect(header(r, 'x-meshmcp-principal')).toBe('carol');
    expect(header(r, 'x-meshmcp-groups')).toBe('sre,oncall');
    expect(p.metrics()['wasmcustom.mcp_gateway_claim_values_skipped_total']?.value).toBe(4);
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'carol', groups: ['sre', 'oncall'] });
  });

  it('skips a groups or scope claim that is a number or a boolean, and a sub that is a number names no one', async () => {
    const p = await gateway();
    const r = post(p, rpc('tools/list', {}), { properties: jwt({ sub: 'dave', groups: 7, scope: true }) });
    expect(header(r, 'x-meshmcp-principal')).toBe('dave');
    expect(header(r, 'x-meshmcp-groups')).toBeUndefined();
    expect(p.metrics()['wasmcustom.mcp_gateway_claim_values_skipped_total']?.value).toBe(2);
    // A numeric sub is 8 raw bytes: no principal, so the caller falls through to the other sources (none here).
    expect(post(p, rpc('ping'), { properties: jwt({ sub: 12345, groups: ['sre'] }) }).response?.status).toBe(401);
  });

  it('keeps non-ASCII group names, percent-encoded in the header as before', async () => {
    const p = await gateway();
    const r = post(p, rpc('tools/list', {}), { properties: jwt({ sub: 'eve', groups: ['équipe'] }) });
    expect(header(r, 'x-meshmcp-groups')).toBe('%C3%A9quipe');
    expect(p.metrics()['wasmcustom.mcp_gateway_claim_values_skipped_total']).toBeUndefined();
  });

  it('does not take a JWT without its principal claim', async () => {
    const p = await gateway();
    expect(post(p, rpc('ping'), { properties: jwt({ groups: ['sre'] }) }).response?.status).toBe(401);
  });
});

describe('authorization (first matching rule wins)', () => {
  const sre = jwt({ sub: 'sam', groups: ['sre'] });
  const developer = jwt({ sub: 'dana', groups: ['developers'] });

  it('allows a group rule for every tool', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__refund_payment'), { properties: sre });
    expect(header(r, 'x-meshmcp-tool')).toBe('refund_payment');
  });

  it('allows tool globs for their group only', async () => {
    const p = await gateway();
    expect(header(post(p, toolsCall('user-service__get_logs'), { properties: developer }), 'x-meshmcp-service')).toBe(
      'user-service',
    );
    const denied = post(p, toolsCall('user-service__query_users'), { properties: developer });
    expect(denied.forwarded).toBeUndefined();
  });

  it('answers a denied tool exactly as an unknown one, so its existence does not leak', async () => {
    const p = await gateway();
    const denied = post(p, toolsCall('user-service__query_users'), { properties: developer });
    const unknown = post(p, toolsCall('user-service__no_such_tool'), { properties: developer });
    expect(denied.response?.status).toBe(unknown.response?.status);
    const a = replyJson(denied);
    const b = replyJson(unknown);
    expect(a.error.code).toBe(-32602);
    expect(a.error.message).toBe('Unknown tool: user-service__query_users');
    expect(Object.keys(a.error)).toEqual(Object.keys(b.error));
    expect(header(denied, 'www-authenticate', 'response')).toBeUndefined();
  });

  it('answers a forbidden rule with 403 and an insufficient_scope challenge', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__refund_payment'), withKey());
    expect(r.forwarded).toBeUndefined();
    expect(r.response?.status).toBe(403);
    expect(header(r, 'www-authenticate', 'response')).toBe('Bearer error="insufficient_scope", scope="payments:write"');
    expect(replyJson(r).error.code).toBe(-32003);
  });

  it('lets a forbidden rule step aside for a token that carries its scope', async () => {
    const config = example('gateway');
    config.policy.rules.push({ name: 'refunds', effect: 'allow', tools: ['payment-service__refund_payment'] });
    const p = await gateway(config);
    const withoutScope = jwt({ sub: 'rita', groups: ['sre-readonly'], scope: 'openid' });
    expect(post(p, toolsCall('payment-service__refund_payment'), { properties: withoutScope }).response?.status).toBe(
      403,
    );
    const withScope = jwt({ sub: 'rita', groups: ['sre-readonly'], scope: 'openid payments:write' });
    const r = post(p, toolsCall('payment-service__refund_payment'), { properties: withScope });
    expect(header(r, 'x-meshmcp-tool')).toBe('refund_payment');
  });

  it('applies method rules to catalog messages and answers a denied method with 403', async () => {
    const config = example('gateway');
    config.policy.rules = [{ name: 'ping-only', effect: 'allow', methods: ['ping'] }];
    const p = await gateway(config);
    expect(post(p, rpc('ping'), withKey()).forwarded).toBeDefined();
    const r = post(p, rpc('tools/list', {}), withKey());
    expect(r.response?.status).toBe(403);
    expect(replyJson(r).error.message).toBe('Forbidden: tools/list is not allowed for this caller');
  });

  it('matches method prefixes like notifications/*', async () => {
    const config = example('gateway');
    config.policy.rules = [{ effect: 'allow', methods: ['notifications/*'] }];
    const p = await gateway(config);
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(post(p, note, withKey()).forwarded).toBeDefined();
    expect(post(p, rpc('notifications'), withKey()).forwarded).toBeUndefined();
  });

  it('falls back to the policy default when no rule matches', async () => {
    const config = example('gateway');
    config.policy = { default: 'allow', rules: [] };
    const p = await gateway(config);
    expect(post(p, toolsCall('user-service__query_users'), withKey()).forwarded).toBeDefined();
  });

  it('matches principals with globs', async () => {
    const config = example('gateway');
    config.policy.rules = [{ effect: 'allow', principals: ['*@example.com'] }];
    const p = await gateway(config);
    expect(post(p, rpc('ping'), { properties: jwt({ sub: 'a@example.com' }) }).forwarded).toBeDefined();
    expect(post(p, rpc('ping'), { properties: jwt({ sub: 'a@example.com.evil' }) }).forwarded).toBeUndefined();
  });
});
