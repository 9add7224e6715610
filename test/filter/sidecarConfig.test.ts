// Sidecar mode (only the listed mTLS peers, same parsing and limits, per-tool metering), configuration handling
// (a bad one refused at load and on update while the old one keeps serving), stats tags, and a trap failing closed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPlugin, type StatsTag } from '../../filter/host/index.js';
import { ROOT } from '../support/cli.js';
import {
  auditLines,
  example,
  filterWasm,
  gateway,
  header,
  mtls,
  post,
  replyJson,
  rpc,
  toolsCall,
  withKey,
} from './harness.js';

const GATEWAY_SAN = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
const sidecar = (options = {}) => createPlugin(filterWasm(), JSON.stringify(example('sidecar')), options);

describe('sidecar mode', () => {
  it('lets the gateway identity through without holding the headers, and meters the tool', async () => {
    const p = await sidecar();
    const r = post(p, toolsCall('payment-service__get_logs', { lines: 5 }), {
      properties: mtls(GATEWAY_SAN),
      headers: { 'x-meshmcp-principal': 'sam@example.com', 'x-meshmcp-request-id': 'gw-9' },
    });
    expect(r.forwarded).toBeDefined();
    expect(r.requestHeadersStatus).toBe(0);
    expect(header(r, 'x-meshmcp-principal')).toBe('sam@example.com');
    const m = p.metrics();
    expect(m['wasmcustom.mcp_inbound_requests_total.service.payment-service.tool.get_logs.status.success']?.value).toBe(
      1,
    );
    const [line] = auditLines(p);
    expect(line).toMatchObject({
      mode: 'sidecar',
      client: 'sam@example.com',
      client_source: 'gateway',
      request_id: 'gw-9',
      service: 'payment-service',
      tool: 'get_logs',
      status: 'success',
    });
  });

  it('refuses any other peer, and a caller without a peer certificate, with 403', async () => {
    const p = await sidecar();
    const other = post(p, toolsCall('payment-service__get_health'), {
      properties: mtls('spiffe://cluster.local/ns/default/sa/curious-pod'),
    });
    expect(other.forwarded).toBeUndefined();
    expect(other.response?.status).toBe(403);
    expect(replyJson(other).error.message).toBe(
      'Forbidden: peer spiffe://cluster.local/ns/default/sa/curious-pod may not call this port',
    );
    const plaintext = post(p, toolsCall('payment-service__get_health'));
    expect(plaintext.response?.status).toBe(403);
    expect(
      p.metrics()['wasmcustom.mcp_inbound_denials_total.service.payment-service.tool.unknown.reason.forbidden']?.value,
    ).toBe(2);
  });

  it('applies the same body parsing and limits', async () => {
    const config = example('sidecar');
    config.limits.maxBodyBytes = 512;
    const p = await createPlugin(filterWasm(), JSON.stringify(config));
    const peer = { properties: mtls(GATEWAY_SAN) };
    expect(post(p, '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', peer).response?.status).toBe(400);
    expect(post(p, '{"jsonrpc":', peer).response?.status).toBe(400);
    const big = toolsCall('payment-service__get_health', { pad: 'x'.repeat(600) });
    const r = post(p, big, peer);
    expect(r.forwarded).toBeUndefined();
    expect(r.response?.status).toBe(413);
  });

  it('labels tools of other services and unknown tools as unknown', async () => {
    const p = await sidecar();
    post(p, toolsCall('user-service__get_health'), { properties: mtls(GATEWAY_SAN) });
    post(p, rpc('tools/list', {}), { properties: mtls(GATEWAY_SAN) });
    const names = Object.keys(p.metrics()).filter((n) => n.includes('requests_total'));
    expect(names).toEqual([
      'wasmcustom.mcp_inbound_requests_total.service.payment-service.tool.tools/list.status.success',
      'wasmcustom.mcp_inbound_requests_total.service.payment-service.tool.unknown.status.success',
    ]);
  });
});

describe('configuration', () => {
  it('refuses a bad configuration at load, naming the path', async () => {
    const config = example('gateway');
    config.policy.rules[1].onDeny = 'sometimes';
    const lines: string[] = [];
    await expect(gateway(config, { onLog: (l) => lines.push(l.message) })).rejects.toThrow(
      /Plugin configuration rejected/,
    );
    expect(lines).toContain(
      'meshmcp: configuration rejected: policy.rules[1].onDeny: must be one of unknownTool, forbidden',
    );
  });

  it('keeps serving the last good configuration when an update is refused', async () => {
    const p = await gateway(example('gateway'), { workers: 2 });
    const bad = example('gateway');
    bad.services[0].port = 70000;
    expect(p.configure(JSON.stringify(bad))).toBe(false);
    expect(p.logs.some((l) => l.message.includes('services[0].port'))).toBe(true);
    for (const worker of [0, 1]) {
      const r = p.runStream(
        {
          request: {
            headers: { ':method': 'POST', ':path': '/mcp', 'x-api-key': 'test' },
            body: toolsCall('mqtt-publisher__get_health'),
          },
        },
        worker,
      );
      expect(header(r, 'x-meshmcp-service')).toBe('mqtt-publisher');
    }
  });

  it('routes by the new table once an update is accepted', async () => {
    const p = await gateway();
    const next = example('gateway');
    next.services[2].tools.push('query_orders');
    expect(post(p, toolsCall('user-service__query_orders'), withKey()).forwarded).toBeUndefined();
    expect(p.configure(JSON.stringify(next))).toBe(true);
    next.policy.rules.unshift({ effect: 'allow', principals: ['ci-bot'] });
    expect(p.configure(JSON.stringify(next))).toBe(true);
    expect(header(post(p, toolsCall('user-service__query_orders'), withKey()), 'x-meshmcp-tool')).toBe('query_orders');
  });
});

describe('stats tags', () => {
  it('exports Prometheus labels through the tag regexes in filter/stats-tags.json', async () => {
    const tags = JSON.parse(readFileSync(join(ROOT, 'filter/stats-tags.json'), 'utf8')) as StatsTag[];
    const p = await gateway(example('gateway'), { statsTags: tags });
    post(p, toolsCall('payment-service__get_health'), withKey());
    post(p, toolsCall('payment-service__refund_payment'), withKey());
    const text = p.prometheus();
    expect(text).toContain('# TYPE mcp_gateway_requests_total counter');
    expect(text).toContain(
      'mcp_gateway_requests_total{service="payment-service",tool="get_health",status="success"} 1',
    );
    expect(text).toContain(
      'mcp_gateway_requests_total{service="payment-service",tool="refund_payment",status="forbidden"} 1',
    );
    expect(text).toContain(
      'mcp_gateway_denials_total{service="payment-service",tool="refund_payment",reason="forbidden"} 1',
    );
    expect(text).toMatch(
      /mcp_gateway_request_duration_milliseconds_count\{service="payment-service",tool="get_health"\} 1/,
    );
    expect(text.match(/# TYPE mcp_gateway_requests_total /g)).toHaveLength(1);
  });
});

describe('a trap', () => {
  it('fails the VM closed: later requests get 503 and nothing is forwarded', async () => {
    const p = await gateway(example('gateway'), { workers: 2, failStrategy: 'FAIL_CLOSE' });
    // An allocation past the allocator's limit aborts, and the build routes abort to a trap (Envoy has no env.abort).
    expect(p.callExport(0, 'malloc', 0x7fffffff)).toBeUndefined();
    expect(p.failure(0)).toMatch(/malloc failed/);
    const r = p.runStream(
      { request: { headers: { ':method': 'POST', ':path': '/mcp', 'x-api-key': 'test' }, body: rpc('ping') } },
      0,
    );
    expect(r.forwarded).toBeUndefined();
    expect(r.response?.status).toBe(503);
    const healthy = p.runStream(
      { request: { headers: { ':method': 'POST', ':path': '/mcp', 'x-api-key': 'test' }, body: rpc('ping') } },
      1,
    );
    expect(healthy.forwarded).toBeDefined();
  });
});
