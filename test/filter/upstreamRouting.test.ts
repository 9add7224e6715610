// MCP servers of a service's own (routing entries with `upstream`) and /mcp/<service>, through the compiled filter:
// the `<service>__` prefix comes off for an upstream, every request of /mcp/<service> goes to that server under its
// own names with the gateway's policy, and a client's answers to a server's requests reach that server.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPlugin } from '../../filter/host/index.js';
import {
  auditLines,
  example,
  filterWasm,
  gateway,
  header,
  type Json,
  mtls,
  post,
  replyJson,
  rpc,
  toolsCall,
  withKey,
  withoutTrace,
} from './harness.js';

function config(): Json {
  const c = example('gateway');
  c.services.push(
    {
      name: 'everything',
      namespace: 'tools',
      host: 'everything-mcp.tools.svc.cluster.local',
      port: 3001,
      tools: ['echo', 'get_health'],
      upstream: { path: '/' },
    },
    {
      name: 'conformance',
      namespace: 'tools',
      host: 'conformance-mcp.tools.svc.cluster.local',
      port: 3000,
      tools: ['get_logs', 'test_simple_text'],
      upstream: { path: '/mcp', stateless: true },
    },
  );
  // ci-bot (sre-readonly) may call every tool of conformance but may not read its logs, on any endpoint.
  c.policy.rules.unshift(
    { name: 'no-conformance-logs', effect: 'deny', groups: ['sre-readonly'], tools: ['conformance__get_logs'] },
    {
      name: 'conformance',
      effect: 'allow',
      groups: ['sre-readonly'],
      tools: ['conformance__*', 'everything__echo', 'meshmcp://*'],
    },
    { name: 'conformance-endpoint', effect: 'allow', groups: ['sre-readonly'], methods: ['prompts/*', 'resources/*'] },
  );
  return c;
}

const at = (path: string, extra: Record<string, string> = {}) => ({
  headers: { ...withKey().headers, ':path': path, ...extra },
});
/** The forwarded body without the trace the gateway adds (test/filter/traceContext.test.ts covers it). */
const forwardedBody = (r: ReturnType<typeof post>) =>
  withoutTrace(Buffer.from(r.forwarded!.body).toString(), header(r, 'traceparent'));
const forwardedBytes = (r: ReturnType<typeof post>) => String(r.forwarded!.body.length);

describe("an MCP server of the service's own, on the aggregated /mcp", () => {
  it('sends it the tool by its own name, on its own path, with Content-Length and Mcp-Name to match', async () => {
    const p = await gateway(config());
    const body = toolsCall('everything__echo', { message: 'hi' });
    const r = post(p, body, at('/mcp', { 'mcp-name': 'everything__echo', 'mcp-method': 'tools/call' }));
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-service')).toBe('everything');
    expect(header(r, ':path')).toBe('/');
    expect(header(r, 'mcp-name')).toBe('echo');
    const sent = forwardedBody(r);
    expect(JSON.parse(sent).params).toEqual({ name: 'echo', arguments: { message: 'hi' } });
    expect(sent).toBe(body.replace('"everything__echo"', '"echo"'));
    expect(header(r, 'content-length')).toBe(forwardedBytes(r));
  });

  it('passes Mcp-Param-* headers on to the server, as 2026-07-28 asks of intermediaries', async () => {
    const p = await gateway(config());
    const r = post(
      p,
      toolsCall('everything__echo', { region: 'eu' }),
      at('/mcp', { 'mcp-param-region': 'eu', 'mcp-param-tenant': '=?base64?YWNtZQ==?=' }),
    );
    expect(header(r, 'mcp-param-region')).toBe('eu');
    expect(header(r, 'mcp-param-tenant')).toBe('=?base64?YWNtZQ==?=');
  });

  it('replaces an escaped name whole', async () => {
    const p = await gateway(config());
    const body =
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"everything__\\u0065cho","arguments":{}}}';
    const r = post(p, body, at('/mcp'));
    expect(JSON.parse(forwardedBody(r)).params.name).toBe('echo');
    expect(forwardedBody(r)).toContain('"name":"echo"');
  });

  it('leaves a sidecar tool call as it came but for the trace: prefixed name, same body, same path', async () => {
    const p = await gateway(config());
    const body = toolsCall('payment-service__get_health');
    const r = post(p, body, at('/mcp'));
    expect(forwardedBody(r)).toBe(body);
    expect(header(r, ':path')).toBe('/mcp');
    expect(header(r, 'content-length')).toBe(forwardedBytes(r));
  });

  it('asks the pod of a server that keeps sessions to open one for the call, and no other', async () => {
    const p = await gateway(config());
    const mark = (r: ReturnType<typeof post>) => header(r, 'x-meshmcp-upstream-session');
    // everything speaks 2025-11-25 only: the aggregated /mcp has no session with it, its pod's proxy opens one.
    expect(mark(post(p, toolsCall('everything__echo'), at('/mcp')))).toBe('call');
    // conformance speaks 2026-07-28 (bridged, no session); a sidecar has none; /mcp/<service> brings the client's.
    expect(mark(post(p, toolsCall('conformance__test_simple_text'), at('/mcp')))).toBeUndefined();
    expect(mark(post(p, toolsCall('payment-service__get_health'), at('/mcp')))).toBeUndefined();
    expect(mark(post(p, toolsCall('echo'), at('/mcp/everything')))).toBeUndefined();
    // A client cannot ask for it itself: the gateway removes x-meshmcp-* headers it was sent.
    const sent = post(
      p,
      toolsCall('payment-service__get_health'),
      at('/mcp', { 'x-meshmcp-upstream-session': 'call' }),
    );
    expect(mark(sent)).toBeUndefined();
  });

  it('still refuses a message without a method on /mcp (answers go to one server only)', async () => {
    const p = await gateway(config());
    const r = post(p, JSON.stringify({ jsonrpc: '2.0', id: 5, result: {} }), at('/mcp'));
    expect(r.forwarded).toBeUndefined();
    expect(replyJson(r).error.code).toBe(-32600);
  });
});

describe('/mcp/<service>: one server under its own names', () => {
  it("routes tools/call by the server's own tool name, on the server path, with the body untouched", async () => {
    const p = await gateway(config());
    const body = toolsCall('test_simple_text');
    const r = post(p, body, at('/mcp/conformance'));
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-service')).toBe('conformance');
    expect(header(r, 'x-meshmcp-tool')).toBe('test_simple_text');
    expect(header(r, ':path')).toBe('/mcp');
    expect(forwardedBody(r)).toBe(body);
  });

  it("holds the server's own names to the same policy as the prefixed ones", async () => {
    const p = await gateway(config());
    const denied = post(p, toolsCall('get_logs'), at('/mcp/conformance'));
    expect(denied.forwarded).toBeUndefined();
    expect(replyJson(denied).error).toMatchObject({ code: -32602, message: 'Unknown tool: conformance__get_logs' });
    const viaMcp = post(p, toolsCall('conformance__get_logs'), at('/mcp'));
    expect(replyJson(viaMcp).error.message).toBe('Unknown tool: conformance__get_logs');
  });

  it('lets the server judge a name the catalog does not list, under the same policy and a bounded label', async () => {
    const p = await gateway(config());
    const r = post(p, toolsCall('test_listed_only_with_sampling'), at('/mcp/conformance'));
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-tool')).toBe('test_listed_only_with_sampling');
    expect(Object.keys(p.metrics()).some((k) => k.includes('.service.conformance.tool.unknown.status.success'))).toBe(
      true,
    );
    const denied = post(p, toolsCall('anything'), at('/mcp/everything'));
    expect(denied.forwarded).toBeUndefined();
    expect(replyJson(denied).error.message).toBe('Unknown tool: everything__anything');
    const empty = post(p, toolsCall(''), at('/mcp/conformance'));
    expect(replyJson(empty).error.code).toBe(-32602);
  });

  it('sends every method but the lists to that server, when policy allows it', async () => {
    const p = await gateway(config());
    for (const method of ['initialize', 'prompts/get', 'resources/read', 'notifications/initialized']) {
      const r = post(p, rpc(method, {}), at('/mcp/conformance'));
      expect(r.localReply, method).toBeUndefined();
      expect(header(r, 'x-meshmcp-service'), method).toBe('conformance');
    }
    const refused = post(p, rpc('completion/complete', {}), at('/mcp/conformance'));
    expect(refused.forwarded).toBeUndefined();
    expect(refused.response?.status).toBe(403);
  });

  it('sends the lists to the control service, on the same path and without the server session', async () => {
    const p = await gateway(config());
    for (const method of ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']) {
      const r = post(p, rpc(method, {}), at('/mcp/conformance', { 'mcp-session-id': 's-9' }));
      expect(r.localReply, method).toBeUndefined();
      expect(header(r, 'x-meshmcp-service'), method).toBe('meshmcp-control');
      expect(header(r, ':path'), method).toBe('/mcp/conformance');
      expect(header(r, 'mcp-session-id'), method).toBeUndefined();
    }
  });

  it("passes a client's answer to the server's request (no method) back to that server", async () => {
    const p = await gateway(config());
    const answer = JSON.stringify({ jsonrpc: '2.0', id: 'srv-1', result: { action: 'accept', content: {} } });
    const r = post(p, answer, at('/mcp/conformance?x=1', { 'mcp-session-id': 's-1' }));
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-service')).toBe('conformance');
    expect(header(r, 'mcp-session-id')).toBe('s-1');
    expect(forwardedBody(r)).toBe(answer);
  });

  it('sends GET (the server stream) and DELETE (end of session) to that server', async () => {
    const p = await gateway(config());
    for (const method of ['GET', 'DELETE']) {
      const r = p.runStream({
        request: { headers: { ':method': method, ':path': '/mcp/everything', 'x-api-key': 'test' } },
      });
      expect(r.localReply, method).toBeUndefined();
      expect(header(r, 'x-meshmcp-service'), method).toBe('everything');
      expect(header(r, ':path'), method).toBe('/');
    }
    const control = p.runStream({ request: { headers: { ':method': 'GET', ':path': '/mcp', 'x-api-key': 'test' } } });
    expect(header(control, 'x-meshmcp-service')).toBe('meshmcp-control');
  });

  it('answers 404 with a JSON-RPC error for a server the table does not have, before any body', async () => {
    const p = await gateway(config());
    for (const path of ['/mcp/billing', '/mcp/', '/mcp/conformance/extra']) {
      const r = post(p, rpc('ping', {}), at(path));
      expect(r.forwarded, path).toBeUndefined();
      expect(r.response?.status, path).toBe(404);
      expect(replyJson(r).error.message).toContain(`no MCP server at ${path}`);
    }
  });

  it('asks for credentials there as on /mcp', async () => {
    const p = await gateway(config());
    const r = post(p, toolsCall('test_simple_text'), { headers: { ':path': '/mcp/conformance' } });
    expect(r.response?.status).toBe(401);
    expect(r.forwarded).toBeUndefined();
  });
});

describe('sidecar mode in front of an MCP server of the pod own', () => {
  const GATEWAY_SAN = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
  async function podProxy() {
    const c = example('sidecar');
    c.services = [{ ...c.services[0], tools: ['echo'], upstream: { path: '/' } }];
    return createPlugin(filterWasm(), JSON.stringify(c));
  }

  it('meters a tool called by its own name', async () => {
    const p = await podProxy();
    const service = example('sidecar').services[0].name;
    const r = post(p, toolsCall('echo'), { properties: mtls(GATEWAY_SAN), headers: { ':path': '/' } });
    expect(r.forwarded).toBeDefined();
    const m = p.metrics();
    expect(m[`wasmcustom.mcp_inbound_requests_total.service.${service}.tool.echo.status.success`]?.value).toBe(1);
  });

  it('lets the client answer to a server request through, and meters it as a response', async () => {
    const p = await podProxy();
    const answer = JSON.stringify({ jsonrpc: '2.0', id: 7, result: { content: [] } });
    const r = post(p, answer, { properties: mtls(GATEWAY_SAN), headers: { ':path': '/' } });
    expect(r.forwarded).toBeDefined();
    expect(Buffer.from(r.forwarded!.body).toString()).toBe(answer);
    expect(auditLines(p)[0]).toMatchObject({ decision: 'allow', status: 'success' });
    const service = example('sidecar').services[0].name;
    expect(
      p.metrics()[`wasmcustom.mcp_inbound_requests_total.service.${service}.tool.response.status.success`]?.value,
    ).toBe(1);
  });
});

describe('prompts and resources on the aggregated /mcp', () => {
  it('routes prompts/get <service>__<prompt>, giving an upstream its own prompt name', async () => {
    const p = await gateway(config());
    const r = post(p, rpc('prompts/get', { name: 'conformance__test_simple_prompt' }), at('/mcp'));
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-service')).toBe('conformance');
    expect(JSON.parse(forwardedBody(r)).params.name).toBe('test_simple_prompt');
    const sidecar = post(p, rpc('prompts/get', { name: 'payment-service__triage' }), at('/mcp'));
    expect(header(sidecar, 'x-meshmcp-service')).toBe('payment-service');
    expect(JSON.parse(forwardedBody(sidecar)).params.name).toBe('payment-service__triage');
  });

  it('routes resources/read meshmcp://<service>/<uri>, giving the server its own URI and Mcp-Name', async () => {
    const p = await gateway(config());
    const uri = 'test://template/123/data';
    const r = post(
      p,
      rpc('resources/read', { uri: `meshmcp://conformance/${uri}` }),
      at('/mcp', { 'mcp-method': 'resources/read', 'mcp-name': `meshmcp://conformance/${uri}` }),
    );
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-service')).toBe('conformance');
    expect(header(r, ':path')).toBe('/mcp');
    expect(header(r, 'mcp-name')).toBe(uri);
    const sent = forwardedBody(r);
    expect(JSON.parse(sent).params.uri).toBe(uri);
    expect(header(r, 'content-length')).toBe(forwardedBytes(r));
  });

  it("gives the answer's URIs their wrapping back, wherever the answer's chunks split them", async () => {
    const contents = [
      { uri: 'test://static-text', mimeType: 'text/plain', text: 'says "uri":"x" inside a string' },
      { uri: 'test://b', blob: 'AAAA' },
    ];
    const message = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { contents } });
    const sse = `event: message\ndata: ${message}\n\n`;
    const want = contents.map((c) => ({ ...c, uri: `meshmcp://conformance/${c.uri}` }));
    for (let cut = 1; cut < sse.length; cut += 3) {
      // A plugin per answer: the example's rate limit would otherwise stop the loop.
      const p = await gateway(config());
      const r = post(p, rpc('resources/read', { uri: 'meshmcp://conformance/test://static-text' }), {
        ...at('/mcp'),
        upstream: () => ({
          headers: { ':status': '200', 'content-type': 'text/event-stream', 'content-length': String(sse.length) },
          body: [sse.slice(0, cut), sse.slice(cut)],
        }),
      });
      const text = Buffer.from(r.response!.body).toString();
      expect(text, `split at ${cut}`).toContain('data: ');
      const data = JSON.parse(
        text
          .split('\n')
          .find((l) => l.startsWith('data: '))!
          .slice(6),
      );
      expect(data.result.contents, `split at ${cut}`).toEqual(want);
      // The answer grew, so its old length cannot stand.
      expect(r.response!.headers.find(([k]) => k === 'content-length')).toBeUndefined();
    }
    // On /mcp/<service> the server's own URIs are what the client asked for: left alone.
    const direct = post(await gateway(config()), rpc('resources/read', { uri: 'test://static-text' }), {
      ...at('/mcp/conformance'),
      upstream: () => ({ headers: { ':status': '200', 'content-type': 'application/json' }, body: message }),
    });
    expect(Buffer.from(direct.response!.body).toString()).toBe(message);
  });

  it('wraps every uri member of any answer, in any number of chunks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ uri: fc.string({ minLength: 1 }), text: fc.string() }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (contents, cuts) => {
          const message = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { contents } });
          const at2 = [...new Set(cuts.map((c) => c % message.length))].sort((a, b) => a - b);
          const chunks = [0, ...at2].map((from, i) => message.slice(from, [...at2, message.length][i]));
          // A plugin per run: the example's rate limit would otherwise refuse some.
          const r = post(await gateway(config()), rpc('resources/read', { uri: 'meshmcp://conformance/x' }), {
            ...at('/mcp'),
            upstream: () => ({ headers: { ':status': '200', 'content-type': 'application/json' }, body: chunks }),
          });
          const got = JSON.parse(Buffer.from(r.response!.body).toString()).result.contents;
          expect(got).toEqual(contents.map((c) => ({ ...c, uri: `meshmcp://conformance/${c.uri}` })));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('writes the server URI back as JSON, escapes and all', async () => {
    const p = await gateway(config());
    const uri = 'test://a "quoted"\\path/ünï';
    const r = post(p, rpc('resources/read', { uri: `meshmcp://everything/${uri}` }), at('/mcp'));
    expect(JSON.parse(forwardedBody(r)).params.uri).toBe(uri);
  });

  it.each([
    ['prompts/get', { name: 'nope__x' }, 'Unknown prompt: nope__x'],
    ['prompts/get', { name: 'plain' }, 'Unknown prompt: plain'],
    ['resources/read', { uri: 'test://static-text' }, 'Unknown resource: test://static-text'],
    ['resources/read', { uri: 'meshmcp://billing/x' }, 'Unknown resource: meshmcp://billing/x'],
    ['resources/read', { uri: 7 }, 'Unknown resource: (not a string)'],
  ])('answers %s %j with -32602, forwarding nothing', async (method, params, message) => {
    const p = await gateway(config());
    const r = post(p, rpc(method, params), at('/mcp'));
    expect(r.forwarded).toBeUndefined();
    expect(replyJson(r).error).toMatchObject({ code: -32602, message });
  });

  it('judges a prompt by its full name and a resource by its URI, as the catalog lists them', async () => {
    const c = config();
    c.policy.rules.unshift(
      { name: 'no-secret-prompt', effect: 'deny', groups: ['sre-readonly'], tools: ['conformance__secret'] },
      { name: 'no-private', effect: 'deny', groups: ['sre-readonly'], tools: ['meshmcp://conformance/private/*'] },
    );
    const p = await gateway(c);
    const prompt = post(p, rpc('prompts/get', { name: 'conformance__secret' }), at('/mcp'));
    expect(replyJson(prompt).error.message).toBe('Unknown prompt: conformance__secret');
    const resource = post(p, rpc('resources/read', { uri: 'meshmcp://conformance/private/a' }), at('/mcp'));
    expect(replyJson(resource).error.message).toBe('Unknown resource: meshmcp://conformance/private/a');
    const open = post(p, rpc('resources/read', { uri: 'meshmcp://conformance/public/a' }), at('/mcp'));
    expect(open.localReply).toBeUndefined();
  });
});

describe('a 2026-07-28 server reached from the aggregated /mcp in an older revision', () => {
  const META = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
  };

  it('gets the request in its revision: the _meta members added, its headers set, no session', async () => {
    const p = await gateway(config());
    const r = post(
      p,
      toolsCall('conformance__test_simple_text', { a: 1 }),
      at('/mcp', { 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': 'control-session' }),
    );
    expect(r.localReply).toBeUndefined();
    const sent = forwardedBody(r);
    expect(JSON.parse(sent).params).toEqual({ _meta: META, name: 'test_simple_text', arguments: { a: 1 } });
    expect(header(r, 'mcp-protocol-version')).toBe('2026-07-28');
    expect(header(r, 'mcp-method')).toBe('tools/call');
    expect(header(r, 'mcp-name')).toBe('test_simple_text');
    expect(header(r, 'mcp-session-id')).toBeUndefined();
    expect(header(r, 'content-length')).toBe(forwardedBytes(r));
  });

  it.each([
    ['an existing _meta (a progress token)', { _meta: { progressToken: 7 }, name: 'conformance__test_simple_text' }],
    ['an empty _meta', { _meta: {}, name: 'conformance__test_simple_text' }],
    ['_meta after the name', { name: 'conformance__test_simple_text', _meta: { progressToken: 'p' } }],
  ])('keeps %s and adds to it', async (_what, params) => {
    const p = await gateway(config());
    const r = post(p, rpc('tools/call', params), at('/mcp'));
    const sent = JSON.parse(forwardedBody(r)).params;
    expect(sent.name).toBe('test_simple_text');
    expect(sent._meta).toEqual({ ...META, ...params._meta });
  });

  it('bridges prompts/get and resources/read too, and leaves a 2026-07-28 request as it came', async () => {
    const p = await gateway(config());
    const prompt = post(p, rpc('prompts/get', { name: 'conformance__test_simple_prompt' }), at('/mcp'));
    expect(JSON.parse(forwardedBody(prompt)).params).toEqual({ _meta: META, name: 'test_simple_prompt' });
    const read = post(p, rpc('resources/read', { uri: 'meshmcp://conformance/test://static-text' }), at('/mcp'));
    expect(JSON.parse(forwardedBody(read)).params).toEqual({ _meta: META, uri: 'test://static-text' });
    const modern = { _meta: { ...META, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } } };
    const r = post(
      p,
      rpc('tools/call', { ...modern, name: 'conformance__test_simple_text' }),
      at('/mcp', {
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'conformance__test_simple_text',
      }),
    );
    expect(JSON.parse(forwardedBody(r)).params).toEqual({ ...modern, name: 'test_simple_text' });
  });

  it('leaves requests to a server without 2026-07-28, and on /mcp/<service>, in their own revision', async () => {
    const p = await gateway(config());
    const everything = post(p, toolsCall('everything__echo'), at('/mcp'));
    expect(JSON.parse(forwardedBody(everything)).params._meta).toBeUndefined();
    const direct = post(p, toolsCall('test_simple_text'), at('/mcp/conformance'));
    expect(JSON.parse(forwardedBody(direct)).params._meta).toBeUndefined();
  });
});

describe('completion/complete on the aggregated /mcp', () => {
  it("routes a prompt argument completion by ref.name and a template one by ref.uri, in the server's own terms", async () => {
    const p = await gateway(config());
    const prompt = post(
      p,
      rpc('completion/complete', {
        ref: { type: 'ref/prompt', name: 'conformance__test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'a' },
      }),
      at('/mcp'),
    );
    expect(header(prompt, 'x-meshmcp-service')).toBe('conformance');
    expect(JSON.parse(forwardedBody(prompt)).params.ref).toEqual({
      type: 'ref/prompt',
      name: 'test_prompt_with_arguments',
    });
    const template = post(
      p,
      rpc('completion/complete', {
        ref: { type: 'ref/resource', uri: 'meshmcp://everything/test://template/{id}/data' },
        argument: { name: 'id', value: '1' },
      }),
      at('/mcp'),
    );
    expect(header(template, 'x-meshmcp-service')).toBe('everything');
    expect(JSON.parse(forwardedBody(template)).params.ref.uri).toBe('test://template/{id}/data');
  });

  it('refuses a completion that names no service of the table, as an unknown prompt or resource', async () => {
    const p = await gateway(config());
    const cases: Array<[Json, string]> = [
      [{ type: 'ref/prompt', name: 'plain' }, 'Unknown prompt: plain'],
      [{ type: 'ref/resource', uri: 'test://x' }, 'Unknown resource: test://x'],
      [{ type: 'ref/prompt' }, 'Unknown resource: (not a string)'],
    ];
    for (const [ref, message] of cases) {
      const r = post(p, rpc('completion/complete', { ref, argument: { name: 'a', value: '' } }), at('/mcp'));
      expect(r.forwarded).toBeUndefined();
      expect(replyJson(r).error).toMatchObject({ code: -32602, message });
    }
  });
});
