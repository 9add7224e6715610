// The compiled filter's host gate against envoyDomains.ts over random hosts: never narrower than Envoy's choice of
// virtual host (a request Envoy could route to an MCP host is always processed), and exactly it for well-formed ones.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Plugin } from '../../filter/host/index.js';
import { envoyCouldRoute } from './envoyDomains.js';
import { example, gateway, rpc } from './harness.js';

let p: Plugin;

beforeAll(async () => {
  p = await gateway({ ...example('gateway'), hosts: ['mcp.example.com'] });
});

const configure = (hosts: string[]): void => {
  expect(p.configure(JSON.stringify({ ...example('gateway'), hosts }))).toBe(true);
};

/** The filter's decision: a POST without credentials gets 401 when it is treated as MCP, else passes. */
function processed(authority: string): boolean {
  const headers = { ':method': 'POST', ':path': '/mcp', ':scheme': 'https', ':authority': authority };
  const r = p.runStream({ request: { headers, body: rpc('ping') } });
  if (r.localReply !== undefined) expect(r.localReply.status).toBe(401);
  else expect(r.forwarded).toBeDefined();
  return r.localReply !== undefined;
}

const mcpHosts = fc.uniqueArray(
  fc.constantFrom('mcp.example.com', 'example.com', 'a.mcp.example.com', '*.example.com', '*.com', 'x-1.a', '*.a', '*'),
  { minLength: 1, maxLength: 3 },
);

/** Names near the MCP hosts and random ones, in any case. */
const name = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('mcp.example.com', 'a.mcp.example.com', 'example.com', 'x.example.com', 'b.x-1.a', 'x-1.a', 'a'),
      fc
        .array(fc.constantFrom('mcp', 'example', 'com', 'a', 'x-1', '127', '0'), { minLength: 1, maxLength: 3 })
        .map((labels) => labels.join('.')),
    ),
    fc.nat(),
  )
  .map(([n, bits]) => [...n].map((c, i) => ((bits >> (i % 30)) & 1 ? c.toUpperCase() : c)).join(''));

/** name[.][:port]: what clients send. */
const wellFormed = fc
  .tuple(name, fc.boolean(), fc.option(fc.integer({ min: 0, max: 65535 })))
  .map(([n, dot, port]) => n + (dot ? '.' : '') + (port === null ? '' : `:${port}`));

/** Anything an attacker might try: a name with junk before it and ports, colons, dots and brackets after it. */
const junk = fc.constantFrom('.', ':', ':443', ':*', '.:', '[', ']', '[::1]', '*');
const anyHost = fc
  .tuple(fc.array(fc.oneof(name, junk), { maxLength: 3 }), name, fc.array(junk, { maxLength: 3 }))
  .map(([before, n, after]) => before.join('') + n + after.join(''));

describe('the host gate against Envoy', () => {
  it('is exactly Envoy on well-formed hosts', () => {
    fc.assert(
      fc.property(mcpHosts, fc.array(wellFormed, { minLength: 1, maxLength: 8 }), (hosts, requests) => {
        configure(hosts);
        for (const host of requests)
          expect(processed(host), `${host} with ${hosts}`).toBe(envoyCouldRoute(host, hosts));
      }),
      { numRuns: 150 },
    );
  });

  it('is never narrower than Envoy on any host', () => {
    fc.assert(
      fc.property(mcpHosts, fc.array(anyHost, { minLength: 1, maxLength: 8 }), (hosts, requests) => {
        configure(hosts);
        for (const host of requests)
          if (envoyCouldRoute(host, hosts)) expect(processed(host), `${host} with ${hosts}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
