// Gateway mode: when no sidecar answered a tools/call (the router's 502/503/504 with a plain-text body), the client
// gets a tool result with isError naming the service; every other answer passes through untouched.
import { describe, expect, it } from 'vitest';
import { auditLines, gateway, post, replyJson, rpc, toolsCall, withKey } from './harness.js';

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

  it('passes a sidecar’s own JSON error, other statuses and non-tools/call answers through untouched', async () => {
    const p = await gateway();
    const own = post(p, toolsCall('payment-service__get_health'), {
      ...withKey(),
      upstream: upstream('503', 'application/json', '{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"x"}}'),
    });
    expect(own.response?.status).toBe(503);
    expect(replyJson(own).error.message).toBe('x');
    const other = post(p, toolsCall('payment-service__get_health'), {
      ...withKey(),
      upstream: upstream('500', 'text/plain', 'boom'),
    });
    expect(other.response?.status).toBe(500);
    const list = post(p, rpc('tools/list'), { ...withKey(), upstream: upstream('503', 'text/plain', ROUTER_TEXT) });
    expect(list.response?.status).toBe(503);
    expect(Buffer.from(list.response!.body!).toString()).toBe(ROUTER_TEXT);
  });
});
