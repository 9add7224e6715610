// The API key's length cap (config.schema.json apiKeySource: 256 bytes): a longer key is refused as unauthenticated
// before it is hashed, even when its digest is configured, whether it came in the key header or as a Bearer token,
// and it is stripped like any key.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditLines, example, gateway, header, type Json, post, replyJson, rpc } from './harness.js';

const at = (n: number) => 'k'.repeat(n);

/** The gateway example with bearer on and keys of 256 and 257 bytes configured by their digests. */
function config(): Json {
  const c = example('gateway');
  const source = c.identity.find((s: Json) => s.apiKey).apiKey;
  source.bearer = true;
  for (const [n, principal] of [
    [256, 'longest-key'],
    [257, 'too-long-key'],
  ] as const) {
    source.keys.push({ sha256: createHash('sha256').update(at(n)).digest('hex'), principal, groups: ['developers'] });
  }
  return c;
}

describe('API key length cap', () => {
  it('accepts a key of exactly 256 bytes', async () => {
    const p = await gateway(config());
    const r = post(p, rpc('ping'), { headers: { 'x-api-key': at(256) } });
    expect(header(r, 'x-meshmcp-principal')).toBe('longest-key');
    const b = post(p, rpc('ping'), { headers: { authorization: `Bearer ${at(256)}` } });
    expect(header(b, 'x-meshmcp-principal')).toBe('longest-key');
  });

  it('refuses a key of 257 bytes with 401 naming the limit, though its digest is configured', async () => {
    const p = await gateway(config());
    const sent: Array<Record<string, string>> = [{ 'x-api-key': at(257) }, { authorization: `Bearer ${at(257)}` }];
    for (const headers of sent) {
      const r = post(p, rpc('ping'), { headers });
      expect(r.forwarded).toBeUndefined();
      expect(r.response?.status).toBe(401);
      expect(replyJson(r).error).toMatchObject({
        code: -32001,
        message: 'Unauthorized: the API key is longer than 256 bytes, so it is none this gateway accepts',
      });
      expect(auditLines(p).at(-1)).toMatchObject({ status: 'unauthenticated' });
    }
  });

  it('refuses a 59 KiB key the same way, and a short wrong key still gets the general message', async () => {
    const p = await gateway(config());
    const r = post(p, rpc('ping'), { headers: { 'x-api-key': at(59 * 1024) } });
    expect(r.response?.status).toBe(401);
    expect(replyJson(r).error.message).toContain('longer than 256 bytes');
    const wrong = post(p, rpc('ping'), { headers: { 'x-api-key': 'nope' } });
    expect(replyJson(wrong).error.message).toBe('Unauthorized: no credentials this gateway accepts');
  });
});
