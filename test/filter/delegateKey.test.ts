// Delegate API keys: a tool pack fanning out for its caller names that caller in x-caller-principal/-groups (the
// values of the x-meshmcp-principal/-groups it was given). The caller becomes the identity (forwarded headers, rate
// limits, the audit's client, with via naming the key), and a request must be allowed for both the caller and the
// key's own principal and groups. Other keys cannot name anyone, by these headers or by x-meshmcp-* ones.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  auditLines,
  type CallOptions,
  Clock,
  example,
  gateway,
  header,
  jwt,
  post,
  replyJson,
  rpc,
  toolsCall,
  withKey,
} from './harness.js';

const PACK_KEY = 'logs-pack-key-0001';

/** The gateway example plus a delegate key (principal logs-pack, group log-readers) that may read every service's logs. */
function withDelegate(extraRules: unknown[] = []) {
  const config = example('gateway');
  config.identity[2].apiKey.keys.push({
    sha256: createHash('sha256').update(PACK_KEY).digest('hex'),
    principal: 'logs-pack',
    groups: ['log-readers'],
    delegate: true,
  });
  config.policy.rules.unshift(...extraRules);
  config.policy.rules.push({
    name: 'pack-reads-logs',
    effect: 'allow',
    groups: ['log-readers'],
    tools: ['*__get_logs'],
  });
  return config;
}

/** The delegate key acting for a caller (headers as the gateway itself writes them). */
function asPackFor(principal?: string, groups?: string): CallOptions {
  return {
    headers: {
      'x-api-key': PACK_KEY,
      ...(principal === undefined ? {} : { 'x-caller-principal': principal }),
      ...(groups === undefined ? {} : { 'x-caller-groups': groups }),
    },
  };
}

const forwardedHeaders = (r: ReturnType<typeof post>, name: string) =>
  (r.forwarded?.headers ?? []).filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

describe('a delegate key', () => {
  it('acts for the caller it names: forwarded and audited as that caller, with via naming the key', async () => {
    const p = await gateway(withDelegate());
    const r = post(p, toolsCall('payment-service__get_logs'), asPackFor('sam@example.com', 'sre,oncall'));
    expect(r.forwarded).toBeDefined();
    expect(forwardedHeaders(r, 'x-meshmcp-principal')).toEqual(['sam@example.com']);
    expect(forwardedHeaders(r, 'x-meshmcp-groups')).toEqual(['sre,oncall']);
    // Neither the key nor the naming travels further.
    for (const h of ['x-api-key', 'x-caller-principal', 'x-caller-groups']) expect(header(r, h)).toBeUndefined();
    expect(auditLines(p).at(-1)).toMatchObject({
      client: 'sam@example.com',
      client_source: 'apiKey',
      via: 'logs-pack',
      groups: ['sre', 'oncall'],
      tool: 'get_logs',
      decision: 'allow',
      // An allow names the caller's rule, as if the caller had called.
      rule: 'sre-all',
    });
  });

  it('lists the tools for the caller and the key: tools/list goes to the control service naming both', async () => {
    const p = await gateway(withDelegate());
    const r = post(p, rpc('tools/list', {}), asPackFor('sam@example.com', 'sre'));
    expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
    expect(forwardedHeaders(r, 'x-meshmcp-principal')).toEqual(['sam@example.com']);
    // The key's own identity too, so the control service lists only what both may use.
    expect(forwardedHeaders(r, 'x-meshmcp-via')).toEqual(['logs-pack']);
    expect(forwardedHeaders(r, 'x-meshmcp-via-groups')).toEqual(['log-readers']);
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'sam@example.com', via: 'logs-pack', method: 'tools/list' });
  });

  it('without x-caller-principal acts for itself (x-caller-groups alone names no one)', async () => {
    const p = await gateway(withDelegate());
    const own = post(p, toolsCall('user-service__get_logs'), asPackFor());
    expect(forwardedHeaders(own, 'x-meshmcp-principal')).toEqual(['logs-pack']);
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'logs-pack', rule: 'pack-reads-logs' });
    expect(auditLines(p).at(-1).via).toBeUndefined();
    const groupsOnly = post(p, toolsCall('user-service__get_health'), asPackFor(undefined, 'sre'));
    expect(groupsOnly.forwarded).toBeUndefined();
    expect(replyJson(groupsOnly).error).toMatchObject({ code: -32602 });
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'logs-pack', groups: ['log-readers'], decision: 'deny' });
  });
});

describe('the intersection of the caller’s and the delegate’s rights', () => {
  it('caller allowed, delegate not: denied as the delegate’s unknown tool, nothing forwarded', async () => {
    const p = await gateway(withDelegate());
    // sam (sre) may call anything; the pack only get_logs.
    const direct = post(p, toolsCall('payment-service__get_health'), {
      properties: jwt({ sub: 'sam', groups: ['sre'] }),
    });
    expect(direct.forwarded).toBeDefined();
    const r = post(p, toolsCall('payment-service__get_health'), asPackFor('sam', 'sre'));
    expect(r.forwarded).toBeUndefined();
    expect(r.response?.status).toBe(200);
    expect(replyJson(r).error).toMatchObject({ code: -32602, message: 'Unknown tool: payment-service__get_health' });
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'sam', via: 'logs-pack', decision: 'deny', status: 'denied' });
    // Methods too: the pack's own rights include the catalog, not prompts.
    const refund = post(p, toolsCall('payment-service__refund_payment'), asPackFor('sam', 'sre'));
    expect(refund.forwarded).toBeUndefined();
  });

  it('caller denied, delegate allowed: denied exactly as the caller calling directly would be', async () => {
    const forbidGuests = {
      name: 'no-payment-logs-for-guests',
      effect: 'deny',
      groups: ['guests'],
      tools: ['payment-service__get_logs'],
      onDeny: 'forbidden',
      scope: 'logs:read',
    };
    const p = await gateway(withDelegate([forbidGuests]));
    for (const [groups, tool] of [
      ['guests', 'payment-service__get_logs'], // a forbidden rule: 403 with its scope
      ['nobody', 'user-service__get_logs'], // no rule: the default deny, an unknown tool
    ] as const) {
      const direct = post(p, toolsCall(tool, {}), { properties: jwt({ sub: 'gus', groups: [groups] }) });
      const viaPack = post(p, toolsCall(tool, {}), asPackFor('gus', groups));
      expect(viaPack.forwarded).toBeUndefined();
      expect(viaPack.response?.status).toBe(direct.response?.status);
      expect(header(viaPack, 'www-authenticate', 'response')).toBe(header(direct, 'www-authenticate', 'response'));
      const { id: _a, ...viaError } = replyJson(viaPack);
      const { id: _b, ...directError } = replyJson(direct);
      expect(viaError).toEqual(directError);
      const [d, v] = auditLines(p).slice(-2);
      expect(v).toMatchObject({ client: 'gus', via: 'logs-pack', decision: 'deny', status: d.status });
      expect(v.rule).toBe(d.rule);
    }
    expect(auditLines(p).at(-1)).toMatchObject({ status: 'denied' });
    expect(auditLines(p).at(-3)).toMatchObject({ status: 'forbidden', rule: 'no-payment-logs-for-guests' });
  });
});

describe('keys that are not delegates', () => {
  it('cannot impersonate: x-caller-* and x-meshmcp-* are removed and their own identity decides', async () => {
    const p = await gateway(withDelegate());
    const spoof = {
      'x-caller-principal': 'sam',
      'x-caller-groups': 'sre',
      'x-meshmcp-principal': 'sam',
      'x-meshmcp-groups': 'sre',
      'x-meshmcp-service': 'user-service',
    };
    // ci-bot (sre-readonly) is refused a refund whoever it names.
    const refund = post(p, toolsCall('payment-service__refund_payment'), {
      headers: { ...withKey().headers, ...spoof },
    });
    expect(refund.forwarded).toBeUndefined();
    expect(refund.response?.status).toBe(403);
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'ci-bot', decision: 'deny' });
    expect(auditLines(p).at(-1).via).toBeUndefined();
    // What it may call goes out under its own name only.
    const logs = post(p, toolsCall('payment-service__get_logs'), { headers: { ...withKey().headers, ...spoof } });
    expect(forwardedHeaders(logs, 'x-meshmcp-principal')).toEqual(['ci-bot']);
    expect(forwardedHeaders(logs, 'x-meshmcp-groups')).toEqual(['sre-readonly']);
    expect(forwardedHeaders(logs, 'x-meshmcp-service')).toEqual(['payment-service']);
    for (const h of ['x-caller-principal', 'x-caller-groups']) expect(header(logs, h)).toBeUndefined();
    // A malformed name is simply removed for them, not a refusal.
    const odd = post(p, toolsCall('payment-service__get_logs'), {
      headers: { ...withKey().headers, 'x-caller-principal': '%zz' },
    });
    expect(forwardedHeaders(odd, 'x-meshmcp-principal')).toEqual(['ci-bot']);
  });

  it('the same holds for a JWT caller', async () => {
    const p = await gateway(withDelegate());
    const r = post(p, toolsCall('payment-service__get_health'), {
      properties: jwt({ sub: 'dev', groups: ['developers'] }),
      headers: { 'x-caller-principal': 'sam', 'x-caller-groups': 'sre' },
    });
    expect(forwardedHeaders(r, 'x-meshmcp-principal')).toEqual(['dev']);
    expect(header(r, 'x-caller-principal')).toBeUndefined();
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'dev', client_source: 'jwt' });
  });
});

describe('rate limits for delegated calls', () => {
  it('draw from the caller’s bucket, not the delegate’s', async () => {
    const clock = new Clock();
    const config = withDelegate();
    config.rateLimits = { perPrincipal: { capacity: 2, refillPerSecond: 0.001 }, perTool: [] };
    const p = await gateway(config, { now: () => clock.ns });
    const sam = { properties: jwt({ sub: 'sam', groups: ['sre'] }) };
    expect(post(p, toolsCall('user-service__get_logs'), sam).response?.status).toBe(200);
    expect(post(p, toolsCall('user-service__get_logs'), asPackFor('sam', 'sre')).response?.status).toBe(200);
    const third = post(p, toolsCall('user-service__get_logs'), asPackFor('sam', 'sre'));
    expect(third.response?.status).toBe(429);
    expect(replyJson(third).error.message).toContain('rate limit for sam exceeded');
    expect(post(p, toolsCall('user-service__get_logs'), sam).response?.status).toBe(429);
    // Another caller, and the delegate for itself, still have their own.
    expect(post(p, toolsCall('user-service__get_logs'), asPackFor('alex', 'sre')).response?.status).toBe(200);
    expect(post(p, toolsCall('user-service__get_logs'), asPackFor()).response?.status).toBe(200);
  });
});

describe('the caller’s name, %-encoded as the gateway writes it', () => {
  it('is decoded for policy and audit and forwarded encoded the same way', async () => {
    const p = await gateway(withDelegate([{ name: 'cafe', effect: 'allow', groups: ['café'] }]));
    const groups = 'sre%2Cteam,ops%20on%20call,caf%C3%A9';
    const r = post(p, toolsCall('mqtt-publisher__get_logs'), asPackFor('sam%25x@example.com', groups));
    expect(r.forwarded).toBeDefined();
    expect(forwardedHeaders(r, 'x-meshmcp-principal')).toEqual(['sam%25x@example.com']);
    expect(forwardedHeaders(r, 'x-meshmcp-groups')).toEqual([groups]);
    expect(auditLines(p).at(-1)).toMatchObject({
      client: 'sam%x@example.com',
      groups: ['sre,team', 'ops on call', 'café'],
      rule: 'cafe',
    });
    // Lower-case hex decodes too.
    post(p, toolsCall('mqtt-publisher__get_logs'), asPackFor('caf%c3%a9', 'ops%20on%20call,caf%c3%a9'));
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'café', decision: 'allow', rule: 'cafe' });
  });

  it('is refused (401, nothing forwarded) when it is not a name the gateway could have written', async () => {
    // x-meshmcp-* from a delegate name no one either: they are removed like any client's.
    const q = await gateway(withDelegate());
    const old = post(q, toolsCall('payment-service__get_logs'), {
      headers: { 'x-api-key': PACK_KEY, 'x-meshmcp-principal': 'sam', 'x-meshmcp-groups': 'sre' },
    });
    expect(forwardedHeaders(old, 'x-meshmcp-principal')).toEqual(['logs-pack']);
    const p = await gateway(withDelegate());
    const bad: Array<[string, string | undefined]> = [
      ['', undefined],
      ['sam%2', undefined], // a cut escape
      ['sam%zz', undefined],
      ['sam%0A', undefined], // a control character
      ['sam%FF', undefined], // not UTF-8
      ['x'.repeat(257), undefined],
      ['sam', 'sre,,oncall'], // an empty group
      ['sam', 'sre,%'],
      ['sam', Array.from({ length: 65 }, (_, i) => `g${i}`).join(',')],
      ['sam', `sre,${'g'.repeat(257)}`],
    ];
    for (const [principal, groups] of bad) {
      const r = post(p, toolsCall('payment-service__get_logs'), asPackFor(principal, groups));
      expect(r.forwarded, `${principal} / ${groups}`).toBeUndefined();
      expect(r.response?.status).toBe(401);
      expect(replyJson(r).error.code).toBe(-32001);
      expect(auditLines(p).at(-1)).toMatchObject({ client: 'logs-pack', status: 'unauthenticated' });
    }
    // The bounds themselves are fine.
    const most = Array.from({ length: 64 }, (_, i) => `g${i}`);
    const ok = post(
      p,
      toolsCall('payment-service__get_logs'),
      asPackFor('s'.repeat(256), ['sre', ...most.slice(1)].join(',')),
    );
    expect(ok.forwarded).toBeDefined();
  });
});
