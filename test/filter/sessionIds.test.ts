// Session ids on /mcp/<service> bound to their caller, through the compiled gateway filter: the server's id goes out
// sealed with an HMAC of the caller, the service and the id (keys from MESHMCP_SESSION_KEYS, which Envoy passes to
// the VM); only that caller gets it back in; rotation keeps old ids working; without keys ids pass as they are.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ADA_KEY,
  adaAndBob,
  BOB_KEY,
  example,
  gateway,
  header,
  type Json,
  post,
  replyJson,
  rpc,
  SESSION_KEY_A,
  SESSION_KEY_B,
  toolsCall,
} from './harness.js';

function config(): Json {
  const c = example('gateway');
  c.services.push({
    name: 'everything',
    namespace: 'tools',
    host: 'everything-mcp.tools.svc.cluster.local',
    port: 3001,
    tools: ['echo'],
    upstream: { path: '/mcp' },
  });
  return adaAndBob(c);
}

const expectedSeal = (key: string, principal: string, id: string) =>
  `m1.${createHmac('sha256', key).update(`${principal}\neverything\n${id}`).digest('hex').slice(0, 32)}.${id}`;

const opened = (key: string) => ({ headers: { 'x-api-key': key, ':path': '/mcp/everything' } });

describe('session ids on /mcp/<service>', () => {
  it("seals the server's session id for the caller and opens it again for that caller only", async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const init = post(p, rpc('initialize', {}), {
      ...opened(ADA_KEY),
      upstream: () => ({
        headers: { ':status': '200', 'content-type': 'application/json', 'mcp-session-id': 'srv-session-1' },
        body: '{"jsonrpc":"2.0","id":1,"result":{}}',
      }),
    });
    const sealed = header(init, 'mcp-session-id', 'response')!;
    expect(sealed).toBe(expectedSeal(SESSION_KEY_A, 'ada', 'srv-session-1'));
    const again = post(p, toolsCall('echo'), { headers: { ...opened(ADA_KEY).headers, 'mcp-session-id': sealed } });
    expect(again.localReply).toBeUndefined();
    expect(header(again, 'mcp-session-id')).toBe('srv-session-1');
    // Another caller holding the same id, a bare server id, and a forged MAC: an unknown session, nothing forwarded.
    for (const [key, id] of [
      [BOB_KEY, sealed],
      [ADA_KEY, 'srv-session-1'],
      [ADA_KEY, sealed.replace(/^m1\.[0-9a-f]/, 'm1.0')],
    ] as const) {
      const r = post(p, toolsCall('echo'), { headers: { ...opened(key).headers, 'mcp-session-id': id } });
      expect(r.forwarded, id).toBeUndefined();
      expect(r.response?.status).toBe(404);
      expect(replyJson(r).error.message).toContain('initialize again');
    }
  });

  it('checks the GET stream and DELETE too', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const sealed = expectedSeal(SESSION_KEY_A, 'ada', 's-2');
    for (const method of ['GET', 'DELETE']) {
      const ok = p.runStream({
        request: {
          headers: { ':method': method, ':path': '/mcp/everything', 'x-api-key': ADA_KEY, 'mcp-session-id': sealed },
        },
      });
      expect(header(ok, 'mcp-session-id'), method).toBe('s-2');
      const stolen = p.runStream({
        request: {
          headers: { ':method': method, ':path': '/mcp/everything', 'x-api-key': BOB_KEY, 'mcp-session-id': sealed },
        },
      });
      expect(stolen.response?.status, method).toBe(404);
    }
  });

  it('rotates: the first key seals, every key opens', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: `${SESSION_KEY_B}, ${SESSION_KEY_A}` } });
    const old = expectedSeal(SESSION_KEY_A, 'ada', 'old-session');
    const r = post(p, toolsCall('echo'), { headers: { ...opened(ADA_KEY).headers, 'mcp-session-id': old } });
    expect(header(r, 'mcp-session-id')).toBe('old-session');
    const fresh = post(p, rpc('initialize', {}), {
      ...opened(ADA_KEY),
      upstream: () => ({ headers: { ':status': '200', 'mcp-session-id': 'new-session' } }),
    });
    expect(header(fresh, 'mcp-session-id', 'response')).toBe(expectedSeal(SESSION_KEY_B, 'ada', 'new-session'));
  });

  it('leaves session ids as they are without keys, and ignores keys shorter than 32 bytes (saying so)', async () => {
    const none = await gateway(config());
    const r = post(none, toolsCall('echo'), { headers: { ...opened(ADA_KEY).headers, 'mcp-session-id': 'plain' } });
    expect(header(r, 'mcp-session-id')).toBe('plain');
    const short = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: 'too-short' } });
    expect(short.logs.some((l) => l.message.includes('1 key(s) shorter than 32 bytes ignored'))).toBe(true);
    const s = post(short, toolsCall('echo'), { headers: { ...opened(ADA_KEY).headers, 'mcp-session-id': 'plain' } });
    expect(header(s, 'mcp-session-id')).toBe('plain');
  });

  it('touches no session id on the aggregated /mcp', async () => {
    const p = await gateway(config(), { envs: { MESHMCP_SESSION_KEYS: SESSION_KEY_A } });
    const r = post(p, toolsCall('payment-service__get_health'), {
      headers: { 'x-api-key': ADA_KEY, ':path': '/mcp', 'mcp-session-id': 'whatever' },
    });
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'mcp-session-id')).toBe('whatever');
  });
});
