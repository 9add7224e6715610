// Every refusal of the gateway filter is a JSON-RPC error body with the right HTTP status, and nothing is forwarded
// (DESIGN.md "fail closed"): malformed and oversized bodies, batches, bad envelopes and MCP header mismatches.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { example, gateway, header, post, replyJson, toolsCall, withKey } from './harness.js';

const key = withKey().headers!;

function refused(r: ReturnType<typeof post>, status: number, code: number) {
  expect(r.forwarded).toBeUndefined();
  expect(r.response?.status).toBe(status);
  expect(header(r, 'content-type', 'response')).toBe('application/json');
  const body = replyJson(r);
  expect(body.jsonrpc).toBe('2.0');
  expect(body.error.code).toBe(code);
  return body;
}

describe('malformed bodies', () => {
  it.each([
    ['not JSON', '{"jsonrpc":"2.0",', -32700],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), -32700],
    ['a batch', `[${toolsCall('payment-service__get_health')}]`, -32600],
    ['a bare string', '"tools/call"', -32600],
    ['jsonrpc 1.0', JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' }), -32600],
    ['an object id', JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }), -32600],
    ['array params', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: [] }), -32600],
    ['no method (a response)', JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} }), -32600],
    ['a duplicate method member', '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call"}', -32600],
  ] as Array<[string, string | Uint8Array, number]>)('answers %s with 400', async (_what, body, code) => {
    const p = await gateway();
    refused(post(p, body, withKey()), 400, code);
  });

  it('answers a body nested deeper than limits.maxDepth with 400', async () => {
    const config = example('gateway');
    config.limits.maxDepth = 8;
    const p = await gateway(config);
    const deep = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { a: [[[[[[[[1]]]]]]]] } });
    const body = refused(post(p, deep, withKey()), 400, -32600);
    expect(body.error.message).toMatch(/nested deeper than 8/);
  });

  it('answers an empty POST with 400', async () => {
    const p = await gateway();
    const r = p.runStream({ request: { headers: { ':method': 'POST', ':path': '/mcp', ...key } } });
    refused(r, 400, -32700);
  });
});

describe('body limits', () => {
  const small = () => {
    const config = example('gateway');
    config.limits.maxBodyBytes = 1024;
    return config;
  };

  it('answers 413 from the Content-Length alone, before reading the body', async () => {
    const p = await gateway(small());
    const body = toolsCall('payment-service__get_health', { pad: 'x'.repeat(2000) });
    const r = post(p, body, { headers: { ...key, 'content-length': String(body.length) } });
    refused(r, 413, -32600);
    expect(r.requestBodyStatuses).toEqual([]);
  });

  it('answers 413 at once for a Content-Length of 12 digits or more, beyond what parseInt reads exactly', async () => {
    const p = await gateway(small());
    const body = toolsCall('payment-service__get_health', {});
    for (const length of ['999999999999', '123456789012345678901234567890']) {
      const r = post(p, body, { headers: { ...key, 'content-length': length } });
      refused(r, 413, -32600);
      expect(r.requestBodyStatuses, length).toEqual([]);
    }
  });

  it('answers 413 when the buffered body outgrows the limit without a Content-Length', async () => {
    const p = await gateway(small());
    const body = toolsCall('payment-service__get_health', { pad: 'x'.repeat(2000) });
    const r = post(p, body, { ...withKey(), chunks: [body.slice(0, 600), body.slice(600, 1200), body.slice(1200)] });
    const reply = refused(r, 413, -32600);
    expect(reply.error.message).toBe('Request body larger than 1024 bytes');
  });

  it('accepts a body exactly at the limit', async () => {
    const p = await gateway(small());
    let body = toolsCall('payment-service__get_health', { pad: '' });
    body = body.replace('"pad":""', `"pad":"${'x'.repeat(1024 - body.length)}"`);
    expect(body.length).toBe(1024);
    expect(post(p, body, withKey()).forwarded).toBeDefined();
  });
});

describe('MCP headers against the body (contract 4: -32020)', () => {
  const modern = { ...key, 'mcp-protocol-version': '2026-07-28' };

  it('refuses an Mcp-Method that names another method', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), { headers: { ...key, 'mcp-method': 'tools/list' } });
    const body = refused(r, 400, -32020);
    expect(body.error.data.mismatch.header).toBe('tools/list');
  });

  it('refuses an Mcp-Name that names another tool, so routing never follows the header', async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...modern, 'mcp-method': 'tools/call', 'mcp-name': 'user-service__query_users' },
    });
    refused(r, 400, -32020);
  });

  it('refuses a 2026-07-28 request without Mcp-Method, or a tools/call without Mcp-Name', async () => {
    const p = await gateway();
    refused(post(p, toolsCall('payment-service__get_health'), { headers: modern }), 400, -32020);
    const noName = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...modern, 'mcp-method': 'tools/call' },
    });
    expect(refused(noName, 400, -32020).error.data.mismatch.header).toBe('(missing)');
  });

  it('passes matching headers, including a Base64 sentinel Mcp-Name', async () => {
    const p = await gateway();
    const plain = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...modern, 'mcp-method': 'tools/call', 'mcp-name': 'payment-service__get_health' },
    });
    expect(header(plain, 'x-meshmcp-service')).toBe('payment-service');
    const encoded = `=?base64?${Buffer.from('payment-service__get_health').toString('base64')}?=`;
    const sentinel = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...modern, 'mcp-method': 'tools/call', 'mcp-name': encoded },
    });
    expect(header(sentinel, 'x-meshmcp-service')).toBe('payment-service');
    const broken = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...modern, 'mcp-method': 'tools/call', 'mcp-name': '=?base64?!!!?=' },
    });
    refused(broken, 400, -32020);
  });

  it('does not require the headers of 2025-11-25 requests, nor of 2026-07-28 notifications', async () => {
    const p = await gateway();
    expect(post(p, toolsCall('payment-service__get_health'), withKey()).forwarded).toBeDefined();
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(post(p, note, { headers: modern }).forwarded).toBeDefined();
  });
});

describe('never forwards what it cannot read', () => {
  it('refuses or routes, but never forwards unrouted, arbitrary bodies (property)', async () => {
    const p = await gateway();
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = post(p, text, withKey());
        if (r.forwarded) {
          // Only a well-formed JSON-RPC request may pass, and then with a route.
          const parsed = JSON.parse(text);
          expect(parsed.jsonrpc).toBe('2.0');
          expect(header(r, 'x-meshmcp-service')).toBeDefined();
        } else {
          expect(r.response?.status).toBeGreaterThanOrEqual(200);
          expect(replyJson(r).error).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('routes a well-formed message the same however its members are ordered and spaced (property)', async () => {
    const p = await gateway();
    fc.assert(
      fc.property(
        fc.shuffledSubarray(['jsonrpc', 'id', 'method', 'params'], { minLength: 4 }),
        fc.nat(3),
        (order, pad) => {
          const members: Record<string, string> = {
            jsonrpc: '"2.0"',
            id: '9',
            method: '"tools/call"',
            params: '{"arguments":{},"name":"user-service__get_health"}',
          };
          const space = ' '.repeat(pad);
          const text = `{${order.map((k) => `${space}"${k}"${space}:${space}${members[k]}`).join(',')}}`;
          const r = post(p, text, withKey());
          expect(header(r, 'x-meshmcp-service')).toBe('user-service');
        },
      ),
      { numRuns: 50 },
    );
  });
});
