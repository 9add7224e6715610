// W3C trace context through the compiled gateway filter: a client's traceparent (header, else params._meta) is kept
// and reaches the server in both places; without one, or with a malformed one, the gateway starts a trace; the
// trace id is in the audit line of the gateway and of the pod's proxy.
import { describe, expect, it } from 'vitest';
import { createPlugin } from '../../filter/host/index.js';
import { auditLines, example, filterWasm, gateway, header, mtls, post, rpc, toolsCall, withKey } from './harness.js';

const CLIENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const OTHER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
const TRACE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

const bodyOf = (r: ReturnType<typeof post>) => JSON.parse(Buffer.from(r.forwarded!.body).toString());

describe('trace context at the gateway', () => {
  it("keeps the client's traceparent header and adds it to params._meta", async () => {
    const p = await gateway();
    const r = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...withKey().headers, traceparent: CLIENT },
    });
    expect(header(r, 'traceparent')).toBe(CLIENT);
    expect(bodyOf(r).params._meta).toEqual({ traceparent: CLIENT });
    expect(auditLines(p)[0]).toMatchObject({ trace_id: '0af7651916cd43dd8448eb211c80319c' });
  });

  it('takes the trace from params._meta when no header carries one, and sets the header from it', async () => {
    const p = await gateway();
    const body = rpc('tools/call', {
      name: 'payment-service__get_health',
      _meta: { traceparent: CLIENT, progressToken: 1 },
    });
    const r = post(p, body, withKey());
    expect(header(r, 'traceparent')).toBe(CLIENT);
    expect(Buffer.from(r.forwarded!.body).toString()).toBe(body);
  });

  it('leaves both as sent when the header and _meta name different traces (the header is the audit trace)', async () => {
    const p = await gateway();
    const body = rpc('tools/call', { name: 'payment-service__get_health', _meta: { traceparent: OTHER } });
    const r = post(p, body, { headers: { ...withKey().headers, traceparent: CLIENT } });
    expect(header(r, 'traceparent')).toBe(CLIENT);
    expect(Buffer.from(r.forwarded!.body).toString()).toBe(body);
    expect(auditLines(p)[0]?.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it.each([
    ['none', undefined],
    ['an all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['upper-case hex', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01'],
    ['another version', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
  ])('starts a trace when the client sent %s, a new one per request', async (_what, sent) => {
    const p = await gateway();
    const headers = { ...withKey().headers, ...(sent ? { traceparent: sent } : {}) };
    const a = post(p, toolsCall('payment-service__get_health'), { headers: { ...headers, 'x-request-id': 'r-1' } });
    const b = post(p, toolsCall('payment-service__get_health'), { headers: { ...headers, 'x-request-id': 'r-2' } });
    const ta = header(a, 'traceparent')!;
    expect(ta).toMatch(TRACE);
    expect(ta).not.toBe(sent);
    expect(header(b, 'traceparent')).not.toBe(ta);
    expect(bodyOf(a).params._meta.traceparent).toBe(ta);
    expect(auditLines(p)[0]?.trace_id).toBe(ta.slice(3, 35));
  });

  it("takes a started trace's id from Envoy's random x-request-id when it is a UUID", async () => {
    const p = await gateway();
    const uuid = '7f3c2a9e-1b4d-4c8e-9a0f-2d6b8e1c5a37';
    const r = post(p, toolsCall('payment-service__get_health'), {
      headers: { ...withKey().headers, 'x-request-id': uuid },
    });
    expect(header(r, 'traceparent')).toMatch(new RegExp(`^00-${uuid.replaceAll('-', '')}-[0-9a-f]{16}-01$`));
  });

  it('ignores a traceparent nested below _meta, and one with an escape', async () => {
    const p = await gateway();
    for (const meta of [{ nested: { traceparent: CLIENT } }, { traceparent: CLIENT.replace('0', '\\u0030') }]) {
      const r = post(p, rpc('tools/call', { name: 'payment-service__get_health', _meta: meta }), withKey());
      expect(header(r, 'traceparent')).not.toBe(CLIENT);
      expect(header(r, 'traceparent')).toMatch(TRACE);
    }
  });

  it('sets only the header for what goes to the control service, and for the GET stream', async () => {
    const p = await gateway();
    const body = rpc('tools/list', {});
    const r = post(p, body, withKey());
    expect(header(r, 'traceparent')).toMatch(TRACE);
    expect(Buffer.from(r.forwarded!.body).toString()).toBe(body);
    const g = p.runStream({ request: { headers: { ':method': 'GET', ':path': '/mcp', 'x-api-key': 'test' } } });
    expect(header(g, 'traceparent')).toMatch(TRACE);
  });
});

describe('trace context in the pod proxy', () => {
  it("writes the gateway's trace id in its audit line", async () => {
    const p = await createPlugin(filterWasm(), JSON.stringify(example('sidecar')));
    post(p, toolsCall('payment-service__get_logs'), {
      properties: mtls('spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'),
      headers: { traceparent: CLIENT },
    });
    expect(auditLines(p)[0]).toMatchObject({ mode: 'sidecar', trace_id: '0af7651916cd43dd8448eb211c80319c' });
  });
});
