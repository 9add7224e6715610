// API keys sent as `Authorization: Bearer <key>` (apiKey source with bearer: true), as MCP clients such as
// mcp-remote, VS Code and Claude Code send them: accepted by SHA-256, stripped before forwarding, never preferred
// over the configured key header, and ignored unless the source asks for them.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  auditLines,
  example,
  gateway,
  header,
  type Json,
  jwt,
  post,
  replyJson,
  rpc,
  toolsCall,
  withKey,
} from './harness.js';

const OTHER_KEY = 'mcp-remote-key';

/** The gateway example with bearer set as given ('absent': not set) and a second key, to tell which one was used. */
function bearerConfig(bearer: boolean | 'absent' = true): Json {
  const config = example('gateway');
  const source = config.identity.find((s: Json) => s.apiKey).apiKey;
  if (bearer !== 'absent') source.bearer = bearer;
  source.keys.push({
    sha256: createHash('sha256').update(OTHER_KEY).digest('hex'),
    principal: 'desktop-user',
    groups: ['developers'],
  });
  return config;
}

const auth = (value: string) => ({ headers: { authorization: value } });

describe('API keys as Authorization: Bearer', () => {
  it('identifies the caller by the token and forwards neither it nor the key header', async () => {
    const p = await gateway(bearerConfig());
    const r = post(p, rpc('tools/list', {}), auth(`Bearer ${OTHER_KEY}`));
    expect(r.localReply).toBeUndefined();
    expect(header(r, 'x-meshmcp-principal')).toBe('desktop-user');
    expect(header(r, 'x-meshmcp-groups')).toBe('developers');
    expect(header(r, 'authorization')).toBeUndefined();
    expect(auditLines(p).at(-1)).toMatchObject({ client: 'desktop-user', client_source: 'apiKey' });
  });

  it('strips the header whatever case the client wrote its name in', async () => {
    const p = await gateway(bearerConfig());
    const r = post(p, rpc('ping'), { headers: { Authorization: 'Bearer test' } });
    expect(header(r, 'x-meshmcp-principal')).toBe('ci-bot');
    expect(r.forwarded?.headers.some(([k]) => k.toLowerCase() === 'authorization')).toBe(false);
  });

  it('also identifies the GET notification stream, routed to control without the token', async () => {
    const p = await gateway(bearerConfig());
    const r = p.runStream({
      request: {
        headers: { ':method': 'GET', ':path': '/mcp', ':authority': 'mcp.example.com', authorization: 'Bearer test' },
      },
    });
    expect(header(r, 'x-meshmcp-service')).toBe('meshmcp-control');
    expect(header(r, 'x-meshmcp-principal')).toBe('ci-bot');
    expect(header(r, 'authorization')).toBeUndefined();
  });

  it('answers a token that is no configured key with 401, as for a wrong key header', async () => {
    const p = await gateway(bearerConfig());
    for (const value of ['Bearer tes', 'Bearer test ', `Bearer ${OTHER_KEY}x`]) {
      const r = post(p, toolsCall('payment-service__get_health'), auth(value));
      expect(r.forwarded, value).toBeUndefined();
      expect(r.response?.status, value).toBe(401);
      expect(replyJson(r).error.code).toBe(-32001);
    }
  });

  it('takes the scheme in any case, followed by one or more spaces (RFC 6750)', async () => {
    const p = await gateway(bearerConfig());
    for (const value of ['bearer test', 'BEARER test', 'BeArEr   test']) {
      expect(header(post(p, rpc('ping'), auth(value)), 'x-meshmcp-principal'), value).toBe('ci-bot');
    }
  });

  it('ignores other schemes and malformed credentials', async () => {
    const p = await gateway(bearerConfig());
    const basic = Buffer.from('ci-bot:test').toString('base64');
    for (const value of [
      `Basic ${basic}`,
      'Basic test',
      'Bearertest',
      'Bearer',
      'Bearer    ',
      ' Bearer test',
      'test',
    ]) {
      const r = post(p, rpc('ping'), auth(value));
      expect(r.response?.status, value).toBe(401);
    }
  });

  it('prefers the configured key header when both are present, and leaves Authorization alone then', async () => {
    const p = await gateway(bearerConfig());
    const both = post(p, rpc('ping'), { headers: { 'x-api-key': 'test', authorization: `Bearer ${OTHER_KEY}` } });
    expect(header(both, 'x-meshmcp-principal')).toBe('ci-bot');
    expect(header(both, 'x-api-key')).toBeUndefined();
    expect(header(both, 'authorization')).toBe(`Bearer ${OTHER_KEY}`);
    // The header decides even when it is wrong: a valid token does not rescue it.
    const wrongHeader = post(p, rpc('ping'), {
      headers: { 'x-api-key': 'nope', authorization: `Bearer ${OTHER_KEY}` },
    });
    expect(wrongHeader.response?.status).toBe(401);
  });

  it('ignores Authorization unless bearer is on (false or absent)', async () => {
    for (const bearer of [false, 'absent'] as const) {
      const p = await gateway(bearerConfig(bearer));
      const r = post(p, rpc('ping'), auth('Bearer test'));
      expect(r.response?.status, String(bearer)).toBe(401);
      const keyed = post(p, rpc('ping'), { headers: { ...withKey().headers, authorization: 'Bearer something' } });
      expect(header(keyed, 'x-meshmcp-principal')).toBe('ci-bot');
      expect(header(keyed, 'authorization')).toBe('Bearer something');
    }
  });

  it('lets a source listed earlier win: jwt_authn claims name the caller, and the token is still not forwarded', async () => {
    const p = await gateway(bearerConfig());
    const r = post(p, rpc('ping'), { ...auth('Bearer test'), properties: jwt({ sub: 'alice' }) });
    expect(header(r, 'x-meshmcp-principal')).toBe('alice');
    expect(header(r, 'authorization')).toBeUndefined();
    // A JWT that is no API key still identifies the caller through the jwt source.
    const token = post(p, rpc('ping'), {
      ...auth('Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig'),
      properties: jwt({ sub: 'bob' }),
    });
    expect(header(token, 'x-meshmcp-principal')).toBe('bob');
  });

  it("applies the key's policy like a header key: ci-bot still gets 403 for a refund", async () => {
    const p = await gateway(bearerConfig());
    const r = post(p, toolsCall('payment-service__refund_payment'), auth('Bearer test'));
    expect(r.response?.status).toBe(403);
  });
});
