// The session id a 2025-11-25 client gets from the aggregated /mcp: its declared capabilities as letters, nothing
// stored (control/mcp/clientSession.ts), in the form a bridge reads back (shared/clientSessions.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initializeCapabilities, withClientSession } from '../../control/mcp/clientSession.js';
import { parseClientSession } from '../../shared/clientSessions.js';

const init = (params: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params }));

const sessionOf = (body: Buffer): string | null => {
  const caps = initializeCapabilities(body);
  return caps === undefined
    ? null
    : withClientSession(new Response('{}', { status: 200 }), caps).headers.get('mcp-session-id');
};

describe("the aggregated endpoint's session id for a 2025-11-25 client", () => {
  it('carries the capabilities a server may ask of the client, in a fixed order', () => {
    expect(sessionOf(init({ capabilities: { roots: {}, elicitation: { form: {} }, sampling: {} } }))).toMatch(
      /^c1\.efsr\.[0-9a-f]{32}$/,
    );
    // What the server may ask depends on the members too: URL-mode elicitation, sampling with tools.
    const members = sessionOf(init({ capabilities: { elicitation: { url: {} }, sampling: { tools: {} } } }));
    expect(members).toMatch(/^c1\.eust\./);
    expect(parseClientSession(members)).toEqual({ elicitation: { url: {} }, sampling: { tools: {} } });
    expect(sessionOf(init({ capabilities: { sampling: {} } }))).toMatch(/^c1\.s\./);
    expect(sessionOf(init({ capabilities: { experimental: {} } }))).toMatch(/^c1\.-\./);
    expect(sessionOf(init({}))).toMatch(/^c1\.-\./);
    // A capability counts only as an object, as the schema declares it.
    expect(sessionOf(init({ capabilities: { elicitation: true } }))).toMatch(/^c1\.-\./);
  });

  it('is made only for a 2025-11-25 initialize', () => {
    const modern = init({ capabilities: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } });
    expect(initializeCapabilities(modern)).toBeUndefined();
    expect(initializeCapabilities(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'))).toBeUndefined();
    expect(initializeCapabilities(Buffer.from('not json'))).toBeUndefined();
    // The method spelled with an escape is still an initialize.
    const escaped = '{"jsonrpc":"2.0","id":1,"method":"\\u0069nitialize","params":{"capabilities":{"roots":{}}}}';
    expect(initializeCapabilities(Buffer.from(escaped))).toEqual({ roots: {} });
  });

  it('is added to a successful answer only, and never over one the SDK gave', async () => {
    const ok = withClientSession(new Response('{}', { status: 200 }), { sampling: {} });
    expect(ok.headers.get('mcp-session-id')).toMatch(/^c1\.s\.[0-9a-f]{32}$/);
    expect(await ok.text()).toBe('{}');
    expect(withClientSession(new Response('x', { status: 400 }), {}).headers.get('mcp-session-id')).toBeNull();
    const given = new Response('{}', { status: 200, headers: { 'mcp-session-id': 'theirs' } });
    expect(withClientSession(given, {}).headers.get('mcp-session-id')).toBe('theirs');
  });

  it('reads back in a bridge as the capabilities it carries (property)', () => {
    fc.assert(
      fc.property(fc.subarray(['elicitation', 'sampling', 'roots']), (names) => {
        const session = sessionOf(init({ capabilities: Object.fromEntries(names.map((n) => [n, {}])) }));
        expect(Object.keys(parseClientSession(session) ?? { none: true }).sort()).toEqual([...names].sort());
      }),
    );
  });
});
