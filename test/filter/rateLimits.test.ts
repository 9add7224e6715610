// Token buckets in shared data: one budget per principal across every worker VM, optional per-tool buckets,
// 429 with Retry-After when empty, refilled by the clock the filter reads from the host.

import { describe, expect, it } from 'vitest';
import { Clock, example, gateway, header, jwt, post, replyJson, rpc, toolsCall, withKey } from './harness.js';

function limited(perPrincipal: { capacity: number; refillPerSecond: number }, perTool: unknown[] = []) {
  const config = example('gateway');
  config.rateLimits = { perPrincipal, perTool };
  return config;
}

describe('rate limits', () => {
  it('shares one per-principal budget across worker VMs', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 4, refillPerSecond: 1 }), { workers: 2, now: () => clock.ns });
    const results = [0, 1, 0, 1, 0].map((worker) =>
      p.runStream(
        {
          request: {
            headers: { ':method': 'POST', ':path': '/mcp', 'x-api-key': 'test' },
            body: rpc('ping'),
          },
          upstream: () => ({ headers: { ':status': '200' } }),
        },
        worker,
      ),
    );
    expect(results.map((r) => r.vm)).toEqual([0, 1, 0, 1, 0]);
    expect(results.map((r) => r.response?.status)).toEqual([200, 200, 200, 200, 429]);
    const last = results[4]!;
    expect(last.forwarded).toBeUndefined();
    expect(header(last, 'retry-after', 'response')).toBe('1');
    expect(replyJson(last).error.code).toBe(-32029);
  });

  it('refills at refillPerSecond and names the wait in Retry-After', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 2, refillPerSecond: 0.25 }), { now: () => clock.ns });
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    const empty = post(p, rpc('ping'), withKey());
    expect(empty.response?.status).toBe(429);
    expect(header(empty, 'retry-after', 'response')).toBe('4');
    clock.advance(3000);
    const still = post(p, rpc('ping'), withKey());
    expect(header(still, 'retry-after', 'response')).toBe('1');
    clock.advance(1000);
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(429);
  });

  it('keeps principals apart', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 1, refillPerSecond: 0.001 }), { now: () => clock.ns });
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(429);
    expect(post(p, rpc('ping'), { properties: jwt({ sub: 'alice', groups: ['sre'] }) }).response?.status).toBe(200);
  });

  it('adds per-tool buckets for the tools a glob selects', async () => {
    const clock = new Clock();
    const config = limited({ capacity: 100, refillPerSecond: 1 }, [
      { tool: '*__get_logs', capacity: 2, refillPerSecond: 0.1 },
    ]);
    const p = await gateway(config, { now: () => clock.ns });
    const sre = { properties: jwt({ sub: 'sam', groups: ['sre'] }) };
    expect(post(p, toolsCall('payment-service__get_logs'), sre).response?.status).toBe(200);
    expect(post(p, toolsCall('payment-service__get_logs'), sre).response?.status).toBe(200);
    const third = post(p, toolsCall('payment-service__get_logs'), sre);
    expect(third.response?.status).toBe(429);
    expect(header(third, 'retry-after', 'response')).toBe('10');
    // Each tool has its own bucket; other tools only draw on the principal's.
    expect(post(p, toolsCall('user-service__get_logs'), sre).response?.status).toBe(200);
    expect(post(p, toolsCall('payment-service__get_health'), sre).response?.status).toBe(200);
  });

  it('does not spend tokens on requests the policy refuses', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 1, refillPerSecond: 0.001 }), { now: () => clock.ns });
    for (let i = 0; i < 3; i++) {
      expect(post(p, toolsCall('user-service__query_users'), withKey()).response?.status).toBe(200);
    }
    expect(post(p, rpc('ping'), withKey()).forwarded).toBeDefined();
  });

  it('keeps the bucket in shared data, as tokens and a timestamp', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 3, refillPerSecond: 1 }), { now: () => clock.ns });
    post(p, rpc('ping'), withKey());
    const entry = p.sharedData('meshmcp.rl\nci-bot');
    expect(entry).toBeDefined();
    const view = new DataView(entry!.value.buffer, entry!.value.byteOffset, 16);
    expect(view.getFloat64(0, true)).toBe(2);
    expect(view.getBigUint64(8, true)).toBe(clock.ns);
  });
});
