// Status that tells the truth: the filter reads an MCP server's answer as it passes (JSON, or the events of an SSE
// stream) and meters and audits it as `success`, `error` (a JSON-RPC error, its code in the audit line) or
// `tool_error` (a result with isError: true), in both modes. Fixed cases, then a property test against a reference
// classifier written with JSON.parse, over random answers, random SSE framing and random chunk splits.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPlugin, type Plugin } from '../../filter/host/index.js';
import {
  auditLines,
  example,
  filterWasm,
  gateway,
  type Json,
  jwt,
  mtls,
  post,
  rpc,
  toolsCall,
  withKey,
} from './harness.js';

const GATEWAY_SAN = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

function answer(body: string | Array<string | Uint8Array>, contentType = 'application/json', status = '200') {
  return () => ({ headers: { ':status': status, 'content-type': contentType }, body });
}

const sse = (...messages: Json[]) => messages.map((m) => `event: message\ndata: ${JSON.stringify(m)}\n\n`).join('');

/** The gateway example without its rate limits, so that hundreds of generated answers all reach the upstream. */
function unlimited(): Promise<Plugin> {
  const config = example('gateway');
  delete config.rateLimits;
  return gateway(config);
}

function last(p: Plugin): Json {
  return auditLines(p).at(-1);
}

describe('what an answer says', () => {
  it('meters a JSON-RPC error as error with its code: prompts/list answered -32601', async () => {
    const p = await gateway();
    const error = { jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'Method not found' } };
    const sre = { properties: jwt({ sub: 'sam', groups: ['sre'] }) };
    post(p, rpc('prompts/list', {}, 3), { ...sre, upstream: answer(JSON.stringify(error)) });
    expect(last(p)).toMatchObject({ method: 'prompts/list', status: 'error', http_status: 200, rpc_code: -32601 });
    const m = p.metrics();
    expect(
      m['wasmcustom.mcp_gateway_requests_total.service.meshmcp-control.tool.prompts/list.status.error']?.value,
    ).toBe(1);
    expect(m['wasmcustom.mcp_gateway_requests_total.service.meshmcp-control.tool.prompts/list.status.success']).toBe(
      undefined,
    );
  });

  it('meters a tool result with isError: true as tool_error, and isError: false as success', async () => {
    const p = await gateway();
    const result = (isError: boolean) =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'x' }], isError } });
    post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(result(true)) });
    expect(last(p)).toMatchObject({ status: 'tool_error', http_status: 200 });
    expect(last(p).rpc_code).toBeUndefined();
    post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(result(false)) });
    expect(last(p).status).toBe('success');
    expect(
      p.metrics()['wasmcustom.mcp_gateway_requests_total.service.payment-service.tool.get_health.status.tool_error']
        ?.value,
    ).toBe(1);
  });

  it('is not fooled by isError or error inside strings or deeper objects', async () => {
    const p = await gateway();
    const tricky = {
      jsonrpc: '2.0',
      id: 1,
      result: {
        content: [{ type: 'text', text: '{"isError":true,"error":{"code":-1}} \\" "isError": true' }],
        structuredContent: { isError: true, error: { code: -32000 } },
      },
    };
    post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(JSON.stringify(tricky)) });
    expect(last(p).status).toBe('success');
  });

  it('reads SSE: skips the progress notifications before the response, across chunk boundaries', async () => {
    const p = await gateway();
    const body = sse(
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1, total: 2 } },
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { isError: true } } },
      { jsonrpc: '2.0', id: 9, result: { content: [], isError: true } },
    );
    const chunks = [body.slice(0, 7), body.slice(7, 120), body.slice(120, body.length - 9), body.slice(-9)];
    post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(chunks, 'text/event-stream') });
    expect(last(p).status).toBe('tool_error');
  });

  it('reads an SSE error event with CRLF lines and data split over lines', async () => {
    const p = await gateway();
    const json = JSON.stringify({ jsonrpc: '2.0', id: 2, error: { message: 'Bad', code: -32602 } }, null, 2);
    const body = `: comment\r\nid: 1\r\n${json
      .split('\n')
      .map((l) => `data:${l}`)
      .join('\r\n')}\r\n\r\n`;
    post(p, rpc('tools/list', {}, 2), { ...withKey(), upstream: answer(body, 'text/event-stream') });
    expect(last(p)).toMatchObject({ status: 'error', rpc_code: -32602 });
  });

  it('counts an accepted notification (202, no body) and a non-2xx answer as before', async () => {
    const p = await gateway();
    post(p, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
      ...withKey(),
      upstream: () => ({ headers: { ':status': '202' } }),
    });
    expect(last(p).status).toBe('success');
    post(p, rpc('tools/list', {}, 4), {
      ...withKey(),
      upstream: answer('{"jsonrpc":"2.0","id":4,"error":{"code":-32001,"message":"no"}}', 'application/json', '401'),
    });
    expect(last(p)).toMatchObject({ status: 'error', http_status: 401, rpc_code: -32001 });
  });

  it('reads at most 1 MiB: isError in the first MiB counts, one after it does not (documented)', async () => {
    const p = await gateway();
    const big = 'x'.repeat(1_100_000);
    const early = `{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[{"type":"text","text":"${big}"}]}}`;
    const late = `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"${big}"}],"isError":true}}`;
    post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(early) });
    expect(last(p).status).toBe('tool_error');
    post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(late) });
    expect(last(p).status).toBe('success');
  });

  it('meters the same way in sidecar mode', async () => {
    const p = await createPlugin(filterWasm(), JSON.stringify(example('sidecar')), {});
    post(p, toolsCall('payment-service__get_health'), {
      properties: mtls(GATEWAY_SAN),
      upstream: answer('{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}'),
    });
    expect(last(p)).toMatchObject({ mode: 'sidecar', status: 'tool_error' });
    expect(
      p.metrics()['wasmcustom.mcp_inbound_requests_total.service.payment-service.tool.get_health.status.tool_error']
        ?.value,
    ).toBe(1);
  });
});

/** What the answer says, by JSON.parse: the reference the streaming scan must agree with. */
function reference(message: Json): { status: string; code?: number } {
  if (message && typeof message === 'object' && !Array.isArray(message) && 'error' in message) {
    const code = message.error?.code;
    const ok = Number.isInteger(code) && code >= -2147483648 && code <= 2147483647;
    return ok ? { status: 'error', code: code === 0 ? 0 : code } : { status: 'error' };
  }
  if (message?.result && typeof message.result === 'object' && message.result.isError === true) {
    return { status: 'tool_error' };
  }
  return { status: 'success' };
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const scalar = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(text, fc.constantFrom('isError', 'error', 'result', 'code')), tie('value'), {
    maxKeys: 4,
  }),
})).value;

const resultMessage = fc.record({
  jsonrpc: fc.constant('2.0'),
  id: fc.oneof(fc.integer(), text),
  result: fc.record(
    {
      content: fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 3 }),
      isError: fc.oneof(fc.boolean(), anyJson),
      structuredContent: anyJson,
    },
    { requiredKeys: ['content'] },
  ),
});
const errorMessage = fc.record({
  jsonrpc: fc.constant('2.0'),
  id: fc.oneof(fc.integer(), text, fc.constant(null)),
  error: fc.record(
    {
      code: fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.double(), fc.integer(), text),
      message: text,
      data: anyJson,
    },
    { requiredKeys: ['message'] },
  ),
});
const notification = fc.record({
  jsonrpc: fc.constant('2.0'),
  method: fc.constantFrom('notifications/progress', 'notifications/message'),
  params: anyJson,
});

/** The body's bytes cut at the given fractions (mid-UTF-8 included). */
function cut(body: string, at: number[]): Uint8Array[] {
  const bytes = Buffer.from(body, 'utf8');
  const points = [...new Set(at.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) out.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return out;
}

describe('what an answer says, against JSON.parse', () => {
  it('agrees on random JSON answers in random chunks', async () => {
    const p = await unlimited();
    fc.assert(
      fc.property(
        fc.oneof(resultMessage, errorMessage),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        (message, pretty, at) => {
          const body = pretty ? JSON.stringify(message, null, 2) : JSON.stringify(message);
          post(p, toolsCall('payment-service__get_health'), { ...withKey(), upstream: answer(cut(body, at)) });
          const want = reference(message);
          const got = last(p);
          expect(got.status).toBe(want.status);
          expect(got.rpc_code).toBe(want.code);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('agrees on random SSE streams: notifications, then the response, framed and cut at random', async () => {
    const p = await unlimited();
    fc.assert(
      fc.property(
        fc.array(notification, { maxLength: 3 }),
        fc.oneof(resultMessage, errorMessage),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (before, message, eol, multiline, at) => {
          const event = (m: Json, n: number) => {
            const json = multiline ? JSON.stringify(m, null, 1) : JSON.stringify(m);
            const data = json.split('\n').map((l) => `data: ${l}`);
            return [`event: message`, `id: ${n}`, ...data, ''].join(eol) + eol;
          };
          const body = [...before, message].map(event).join('');
          post(p, toolsCall('payment-service__get_health'), {
            ...withKey(),
            upstream: answer(cut(body, at), 'text/event-stream'),
          });
          const want = reference(message);
          const got = last(p);
          expect(got.status).toBe(want.status);
          expect(got.rpc_code).toBe(want.code);
        },
      ),
      { numRuns: 400 },
    );
  });
});
