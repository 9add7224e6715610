// What the sidecar takes from the gateway's headers for a tool call, over real HTTP: the caller (x-meshmcp-principal
// and -groups, %-decoded as the filter encodes them) reaches the tool as ctx.caller, and the request id reaches the
// app as x-request-id. The delegate headers a pack sends back are encoded exactly as the filter encodes.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerFromHeaders, callerHeaders, headerSafe, requestIdFromHeaders } from '../../sidecar/mcp/caller.js';
import { genericTools } from '../../sidecar/tools/index.js';
import type { Tool } from '../../sidecar/types.js';
import { post, startTestSidecar, type TestSidecar } from '../support/sidecar.js';

describe('the caller codec', () => {
  it('decodes what the filter writes and encodes it back byte for byte', () => {
    const headers = {
      'x-meshmcp-principal': 'sam%25x@example.com',
      'x-meshmcp-groups': 'sre%2Cteam,ops%20on%20call,caf%C3%A9',
    };
    const caller = callerFromHeaders(headers);
    expect(caller).toEqual({ principal: 'sam%x@example.com', groups: ['sre,team', 'ops on call', 'café'] });
    expect(callerHeaders(caller!)).toEqual({
      'x-caller-principal': headers['x-meshmcp-principal'],
      'x-caller-groups': headers['x-meshmcp-groups'],
    });
    expect(callerHeaders({ principal: 'ci-bot', groups: [] })).toEqual({ 'x-caller-principal': 'ci-bot' });
    expect(headerSafe('a,b', false)).toBe('a,b');
    expect(headerSafe('a,b', true)).toBe('a%2Cb');
  });

  it('names no caller for values the gateway could not have written', () => {
    for (const h of [
      {},
      { 'x-meshmcp-principal': '' },
      { 'x-meshmcp-principal': 'sam%zz' },
      { 'x-meshmcp-principal': 'sam smith' }, // the gateway encodes spaces
      { 'x-meshmcp-principal': 'sam%0A' },
      { 'x-meshmcp-principal': 'x'.repeat(257) },
      { 'x-meshmcp-principal': 'sam', 'x-meshmcp-groups': 'a,,b' },
      { 'x-meshmcp-principal': 'sam', 'x-meshmcp-groups': Array.from({ length: 65 }, (_, i) => `g${i}`).join(',') },
    ] as IncomingHttpHeaders[]) {
      expect(callerFromHeaders(h), JSON.stringify(h)).toBeUndefined();
    }
  });

  it('takes the gateway’s request id first, then x-request-id; nothing unprintable or long', () => {
    expect(requestIdFromHeaders({ 'x-meshmcp-request-id': 'gw-1', 'x-request-id': 'client-1' })).toBe('gw-1');
    expect(requestIdFromHeaders({ 'x-request-id': 'client-1' })).toBe('client-1');
    expect(requestIdFromHeaders({ 'x-request-id': 'a b' })).toBeUndefined();
    expect(requestIdFromHeaders({ 'x-request-id': 'x'.repeat(129) })).toBeUndefined();
  });
});

describe('over the sidecar’s MCP endpoint', () => {
  let sidecar: TestSidecar;
  let app: ReturnType<typeof createServer>;
  const seen: IncomingHttpHeaders[] = [];
  const whoami: Tool = {
    name: 'whoami',
    description: 'the caller this call is for',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
    async run(_args, ctx) {
      const text = JSON.stringify({ caller: ctx.caller ?? null, requestId: ctx.requestId ?? null });
      return { content: [{ type: 'text', text }] };
    },
  };

  beforeAll(async () => {
    app = createServer((req, res) => {
      seen.push(req.headers);
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    sidecar = await startTestSidecar([...genericTools, whoami], ['--app-url', appUrl]);
  });

  afterAll(async () => {
    await sidecar?.close();
    await new Promise((r) => app.close(r));
  });

  const call = (name: string, headers: Record<string, string>) =>
    post(sidecar.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }, headers);

  it('hands the tool the caller and request id the gateway named, and logs neither', async () => {
    const r = await call('whoami', {
      'x-meshmcp-principal': 'sam%40corp',
      'x-meshmcp-groups': 'sre,on%2Ccall',
      'x-meshmcp-request-id': 'req-42',
    });
    expect(JSON.parse(r.json.result.content[0].text)).toEqual({
      caller: { principal: 'sam@corp', groups: ['sre', 'on,call'] },
      requestId: 'req-42',
    });
    const direct = await call('whoami', {});
    expect(JSON.parse(direct.json.result.content[0].text)).toEqual({ caller: null, requestId: null });
    expect(JSON.stringify(sidecar.logs)).not.toContain('sam');
  });

  it('sends the request id to the app as x-request-id, so the app’s log lines carry it', async () => {
    seen.length = 0;
    await call('get_health', { 'x-meshmcp-request-id': 'trace-me-1' });
    expect(seen.map((h) => h['x-request-id'])).toEqual(['trace-me-1']);
    seen.length = 0;
    await call('get_health', {});
    expect(seen.map((h) => h['x-request-id'])).toEqual([undefined]);
  });
});
