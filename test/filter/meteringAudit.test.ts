// Metering through proxy_define_metric (names that stats tag extraction turns into labels) and the audit line each
// MCP request leaves, with durations measured to the end of the response.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditLines, Clock, example, gateway, jwt, post, rpc, toolsCall, withKey } from './harness.js';

const sre = { properties: jwt({ sub: 'sam@example.com', groups: ['sre'] }) };

describe('metering', () => {
  it('counts requests per service, tool and status, and records durations in milliseconds', async () => {
    const clock = new Clock();
    const p = await gateway(example('gateway'), { now: () => clock.ns });
    const slow = () => {
      clock.advance(45);
      return { headers: { ':status': '200' }, body: '{}' };
    };
    post(p, toolsCall('payment-service__get_health'), { ...sre, upstream: slow });
    post(p, toolsCall('payment-service__get_health'), { ...sre, upstream: () => ({ headers: { ':status': '503' } }) });
    post(p, toolsCall('user-service__query_users'), withKey());
    post(p, toolsCall('payment-service__get_health'));
    post(p, rpc('tools/list', {}), withKey());
    const m = p.metrics();
    const base = 'wasmcustom.mcp_gateway_requests_total.service';
    expect(m[`${base}.payment-service.tool.get_health.status.success`]?.value).toBe(1);
    expect(m[`${base}.payment-service.tool.get_health.status.error`]?.value).toBe(1);
    expect(m[`${base}.user-service.tool.query_users.status.denied`]?.value).toBe(1);
    expect(m[`${base}.unknown.tool.unknown.status.unauthenticated`]?.value).toBe(1);
    expect(m[`${base}.meshmcp-control.tool.tools/list.status.success`]?.value).toBe(1);
    const durations = m['wasmcustom.mcp_gateway_request_duration_milliseconds.service.payment-service.tool.get_health'];
    expect(durations?.type).toBe('histogram');
    expect(durations?.samples).toEqual([45, 0]);
    expect(m['wasmcustom.mcp_gateway_denials_total.service.user-service.tool.query_users.reason.denied']?.value).toBe(
      1,
    );
    expect(m['wasmcustom.mcp_gateway_denials_total.service.unknown.tool.unknown.reason.unauthenticated']?.value).toBe(
      1,
    );
  });

  it('never takes a label value from the request: unknown tools and methods share fixed labels', async () => {
    const p = await gateway();
    post(p, toolsCall('payment-service__x1'), withKey());
    post(p, toolsCall('payment-service__x2'), withKey());
    post(p, rpc('custom/anything'), withKey());
    const names = Object.keys(p.metrics()).filter((n) => n.includes('requests_total'));
    expect(names).toEqual([
      'wasmcustom.mcp_gateway_requests_total.service.meshmcp-control.tool.other.status.forbidden',
      'wasmcustom.mcp_gateway_requests_total.service.unknown.tool.unknown.status.unknown_tool',
    ]);
    expect(p.metrics()[names[1]!]?.value).toBe(2);
  });

  it('counts rate-limited requests', async () => {
    const config = example('gateway');
    config.rateLimits = { perPrincipal: { capacity: 1, refillPerSecond: 0.001 } };
    const p = await gateway(config);
    post(p, rpc('ping'), withKey());
    post(p, rpc('ping'), withKey());
    expect(p.metrics()['wasmcustom.mcp_gateway_rate_limited_total.service.meshmcp-control.tool.ping']?.value).toBe(1);
  });
});

describe('audit', () => {
  it('writes one line per MCP request with the documented audit fields, request id and decision', async () => {
    const clock = new Clock();
    const p = await gateway(example('gateway'), { now: () => clock.ns });
    post(p, toolsCall('payment-service__get_health', { verbose: true }), {
      ...sre,
      upstream: () => {
        clock.advance(42);
        return { headers: { ':status': '200' } };
      },
    });
    const [line] = auditLines(p);
    expect(line).toEqual({
      timestamp: new Date(Number(clock.ns / 1_000_000n)).toISOString(),
      kind: 'mcp_audit',
      mode: 'gateway',
      request_id: 'req-1',
      // The trace the gateway started (no traceparent came with the request): test/filter/traceContext.test.ts.
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      client: 'sam@example.com',
      client_source: 'jwt',
      groups: ['sre'],
      method: 'tools/call',
      service: 'payment-service',
      tool: 'get_health',
      params_sha256: createHash('sha256')
        .update(JSON.stringify({ name: 'payment-service__get_health', arguments: { verbose: true } }))
        .digest('hex'),
      decision: 'allow',
      rule: 'sre-all',
      status: 'success',
      http_status: 200,
      duration_ms: 42,
    });
  });

  it('audits refusals with their reason and status', async () => {
    const p = await gateway();
    post(p, toolsCall('payment-service__refund_payment'), withKey());
    post(p, '{', withKey());
    const [forbidden, invalid] = auditLines(p);
    expect(forbidden).toMatchObject({
      client: 'ci-bot',
      decision: 'deny',
      rule: 'no-refunds-for-readonly',
      status: 'forbidden',
      http_status: 403,
    });
    expect(invalid).toMatchObject({ client: 'ci-bot', status: 'invalid', http_status: 400 });
  });

  it.each([
    ['redact', { params_bytes: JSON.stringify({ name: 'payment-service__get_health', arguments: { id: 7 } }).length }],
    ['full', { params: { name: 'payment-service__get_health', arguments: { id: 7 } } }],
  ])('writes params per audit.params=%s', async (mode, expected) => {
    const config = example('gateway');
    config.audit.params = mode;
    const p = await gateway(config);
    post(p, toolsCall('payment-service__get_health', { id: 7 }), sre);
    const [line] = auditLines(p);
    expect(line).toMatchObject(expected);
    expect(Object.keys(line).filter((k) => k.startsWith('params'))).toEqual(Object.keys(expected));
  });

  it('writes nothing when audit.logLevel is off, and at the configured level otherwise', async () => {
    const off = example('gateway');
    off.audit.logLevel = 'off';
    const quiet = await gateway(off);
    post(quiet, rpc('ping'), withKey());
    expect(auditLines(quiet)).toEqual([]);
    const warn = example('gateway');
    warn.audit.logLevel = 'warn';
    const loud = await gateway(warn);
    post(loud, rpc('ping'), withKey());
    expect(loud.logs.find((l) => l.message.includes('mcp_audit'))?.level).toBe(3);
  });

  it('escapes what callers control, so each line stays one valid JSON object', async () => {
    const p = await gateway();
    post(p, rpc('ping'), { properties: jwt({ sub: 'eve"\\', groups: ['sre'] }), headers: { 'x-request-id': 'r"1' } });
    const [line] = auditLines(p);
    expect(line.client).toBe('eve"\\');
    expect(line.request_id).toBe('r"1');
    // A principal with control characters names no one: it is refused, not logged.
    const r = post(p, rpc('ping'), { properties: jwt({ sub: 'eve\n{"forged":1}', groups: ['sre'] }) });
    expect(r.response?.status).toBe(401);
  });
});
