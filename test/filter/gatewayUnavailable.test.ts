// Gateway mode: when nothing answered an MCP request (a 4xx/5xx with a plain-text body, as Envoy's router and
// connection manager reply), the client gets an MCP answer: a tools/call an isError tool result naming the service,
// any other request a JSON-RPC error naming what is down, a notification or GET the same error under its status.
// An MCP server's own answers pass through untouched.
import { describe, expect, it } from 'vitest';
import { auditLines, gateway, header, post, replyJson, rpc, toolsCall, withKey } from './harness.js';

const ROUTER_TEXT = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';

function upstream(status: string, contentType: string, body: string) {
  return () => ({ headers: { ':status': status, 'content-type': contentType }, body });
}

describe('a service that does not answer', () => {
  it.each(['502', '503', '504'])(
    'turns the router’s %s into an isError tool result with the request id',
    async (status) => {
      const p = await gateway();
      const r = post(p, rpc('tools/call', { name: 'payment-service__get_health', arguments: {} }, 'call-7'), {
        ...withKey(),
        upstream: upstream(status, 'text/plain', ROUTER_TEXT),
      });
      expect(r.response?.status).toBe(200);
      const body = replyJson(r);
      expect(body.id).toBe('call-7');
      expect(body.error).toBeUndefined();
      expect(body.result.isError).toBe(true);
      expect(body.result.resultType).toBe('complete');
      const text: string = body.result.content[0].text;
      expect(text).toContain('payment-service is unavailable');
      expect(text).toContain(`reset reason: connection failure; HTTP ${status} at the gateway`);
      // The audit line keeps what happened upstream.
      const audit = auditLines(p).at(-1);
      expect(audit.http_status).toBe(Number(status));
      expect(audit.tool).toBe('get_health');
    },
  );

  it('passes an MCP server’s own JSON answers through untouched, whatever their status', async () => {
    const p = await gateway();
    const own = post(p, toolsCall('payment-service__get_health'), {
      ...withKey(),
      upstream: upstream('503', 'application/json', '{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"x"}}'),
    });
    expect(own.response?.status).toBe(503);
    expect(replyJson(own).error.message).toBe('x');
    expect(auditLines(p).at(-1)).toMatchObject({ status: 'error', http_status: 503, rpc_code: -32603 });
  });

  it('answers initialize and tools/list with a JSON-RPC error naming the control service when it is down', async () => {
    const p = await gateway();
    for (const method of ['initialize', 'tools/list', 'server/discover']) {
      const r = post(p, rpc(method, {}, `m-${method}`), {
        ...withKey(),
        upstream: upstream('503', 'text/plain', 'no healthy upstream'),
      });
      expect(r.response?.status, method).toBe(200);
      expect(header(r, 'content-type', 'response')).toBe('application/json');
      const body = replyJson(r);
      expect(body.id).toBe(`m-${method}`);
      expect(body.error.code).toBe(-32603);
      expect(body.error.message).toBe(
        'The meshmcp control service is unavailable (no healthy upstream; HTTP 503 at the gateway). initialize, ' +
          'tools/list and server/discover answer again once it is back; calls to tools do not need it.',
      );
      expect(auditLines(p).at(-1)).toMatchObject({ method, status: 'error', http_status: 503 });
    }
  });

  it('turns any other plain-text failure (408, 413, 500, a reply without a content type) into MCP too', async () => {
    const p = await gateway();
    const boom = post(p, toolsCall('payment-service__get_health'), {
      ...withKey(),
      upstream: upstream('500', 'text/plain', 'boom'),
    });
    expect(boom.response?.status).toBe(200);
    expect(replyJson(boom).result.content[0].text).toContain('(boom; HTTP 500 at the gateway)');
    const timeout = post(p, rpc('tools/list', {}, 5), {
      ...withKey(),
      upstream: () => ({ headers: { ':status': '408' }, body: 'request timeout' }),
    });
    expect(replyJson(timeout)).toMatchObject({ id: 5, error: { code: -32603 } });
    expect(replyJson(timeout).error.message).toContain('(request timeout; HTTP 408 at the gateway)');
  });

  it('keeps the status of a notification’s or a GET’s failure, with a JSON-RPC error body (no id to answer)', async () => {
    const p = await gateway();
    const note = post(p, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
      ...withKey(),
      upstream: upstream('503', 'text/plain', 'no healthy upstream'),
    });
    expect(note.response?.status).toBe(503);
    expect(replyJson(note)).toMatchObject({ id: null, error: { code: -32603 } });
    const stream = p.runStream({
      request: { headers: { ':method': 'GET', ':path': '/mcp', ':authority': 'mcp.example.com', 'x-api-key': 'test' } },
      upstream: upstream('503', 'text/plain', 'no healthy upstream'),
    });
    expect(stream.response?.status).toBe(503);
    expect(header(stream, 'content-type', 'response')).toBe('application/json');
    expect(replyJson(stream).error.message).toContain('The meshmcp control service is unavailable');
  });
});
