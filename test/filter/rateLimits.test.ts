// Token buckets in shared data: one budget per principal across every worker VM, optional per-tool buckets,
// 429 with Retry-After when empty, refilled by the clock the filter reads from the host.

import { describe, expect, it } from 'vitest';
import { WasmResult } from '../../filter/host/abi.js';
import { SharedData } from '../../filter/host/index.js';
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

  it('keeps the bucket in its slot of shared data: hash, tokens, last update, expiry', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 3, refillPerSecond: 1 }), { now: () => clock.ns });
    post(p, rpc('ping'), withKey());
    const entry = bucketEntry(p.sharedData.bind(p), 'meshmcp.rl\nci-bot');
    expect(entry).toEqual({ tokens: 2, last: clock.ns, expires: clock.ns + 3_000_000_000n });
  });
});

/** FNV-1a 64 over UTF-16 code units, as rateLimit.ts hashes a bucket's name (never 0). */
function bucketHash(key: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < key.length; i++) {
    h ^= BigInt(key.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h === 0n ? 1n : h;
}

/** The bucket named key as its slot holds it, read the way rateLimit.ts lays entries out; undefined when absent. */
function bucketEntry(
  sharedData: (key: string) => { value: Uint8Array } | undefined,
  key: string,
): { tokens: number; last: bigint; expires: bigint } | undefined {
  const h = bucketHash(key);
  const slot = sharedData(`meshmcp.rl.${h % 1024n}`);
  if (!slot) return undefined;
  const view = new DataView(slot.value.buffer, slot.value.byteOffset, slot.value.byteLength);
  for (let way = 0; way < 8; way++) {
    if (view.getBigUint64(way * 32, true) !== h) continue;
    return {
      tokens: view.getFloat64(way * 32 + 8, true),
      last: view.getBigUint64(way * 32 + 16, true),
      expires: view.getBigUint64(way * 32 + 24, true),
    };
  }
  return undefined;
}

/** Shared data that lets another VM run a whole request between one VM's read of a slot and its write. */
class Interleaving extends SharedData {
  /** Runs once, inside the next write to a rate-limit slot, before it is applied. */
  beforeNextWrite: (() => void) | undefined;
  casMismatches = 0;

  override set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    const hook = this.beforeNextWrite;
    if (hook && key.startsWith('meshmcp.rl.') && cas !== 0) {
      this.beforeNextWrite = undefined;
      hook();
    }
    const result = super.set(vmId, key, value, cas);
    if (result === WasmResult.CasMismatch) this.casMismatches++;
    return result;
  }
}

const ping = () => ({
  request: { headers: { ':method': 'POST', ':path': '/mcp', 'x-api-key': 'test' }, body: rpc('ping') },
  upstream: () => ({ headers: { ':status': '200' } }),
});

describe('rate-limit state', () => {
  it('grants exactly capacity tokens when another VM takes one between every read and write (CAS, first use too)', async () => {
    const clock = new Clock();
    const shared = new Interleaving();
    const p = await gateway(limited({ capacity: 5, refillPerSecond: 0.001 }), {
      workers: 2,
      now: () => clock.ns,
      sharedData: shared,
    });
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      shared.beforeNextWrite = () => statuses.push(p.runStream(ping(), 1).response?.status ?? 200);
      statuses.push(p.runStream(ping(), 0).response?.status ?? 200);
    }
    // Rounds 1-3 race (worker 1 writes inside worker 0's take); once the bucket is empty nobody writes, so later
    // rounds are worker 0 alone: 3 × 2 + 7 requests, of which exactly the 5 tokens succeed.
    expect(statuses).toHaveLength(13);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    // The interleaved writes really raced: each lost CAS made worker 0 read the slot again.
    expect(shared.casMismatches).toBe(3);
  });

  it('keeps 1024 slot keys however many principals call: 100k distinct callers', async () => {
    const clock = new Clock();
    const shared = new SharedData();
    const p = await gateway(limited({ capacity: 10, refillPerSecond: 1 }), { now: () => clock.ns, sharedData: shared });
    const slotsAfterConfigure = shared.keys('').filter((k) => k.startsWith('meshmcp.rl')).length;
    expect(slotsAfterConfigure).toBe(1024);
    for (let i = 0; i < 100_000; i++) {
      const r = post(p, rpc('ping'), { properties: jwt({ sub: `user-${i}` }) });
      if (r.forwarded === undefined) throw new Error(`caller ${i} was refused: ${r.response?.status}`);
      clock.advance(1);
    }
    expect(shared.keys('').filter((k) => k.startsWith('meshmcp.rl'))).toHaveLength(1024);
    // 100k callers in 100 s through 8192 ways: most buckets expired (10 s window) before their way was needed again;
    // the rest were evicted, each counted.
    const evictions = p.metrics()['wasmcustom.mcp_gateway_rate_limit_evictions_total']?.value ?? 0;
    expect(evictions).toBeLessThan(100_000 - 8192);
  });

  it('forgets a bucket after its refill window, when it is full again, and reuses its way', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 2, refillPerSecond: 0.5 }), { now: () => clock.ns });
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(429);
    clock.advance(4000); // capacity / refill = 4 s: full again, and expired
    expect(post(p, rpc('ping'), withKey()).response?.status).toBe(200);
    expect(bucketEntry(p.sharedData.bind(p), 'meshmcp.rl\nci-bot')?.tokens).toBe(1);
  });

  it('evicts the least recently used of 8 live buckets in a full slot, and counts it', async () => {
    const clock = new Clock();
    const p = await gateway(limited({ capacity: 1, refillPerSecond: 0.001 }), { now: () => clock.ns });
    // Nine principals whose buckets share one slot.
    const target = bucketHash('meshmcp.rl\nuser-0') % 1024n;
    const same: string[] = [];
    for (let i = 0; same.length < 9; i++) {
      if (bucketHash(`meshmcp.rl\nuser-${i}`) % 1024n === target) same.push(`user-${i}`);
    }
    for (const sub of same) {
      expect(post(p, rpc('ping'), { properties: jwt({ sub }) }).response?.status).toBe(200);
      clock.advance(1);
    }
    expect(p.metrics()['wasmcustom.mcp_gateway_rate_limit_evictions_total']?.value).toBe(1);
    // The first was evicted (least recent): it starts again full. The second is still empty.
    expect(post(p, rpc('ping'), { properties: jwt({ sub: same[0]! }) }).response?.status).toBe(200);
    expect(post(p, rpc('ping'), { properties: jwt({ sub: same[2]! }) }).response?.status).toBe(429);
  });
});
