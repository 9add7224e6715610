// Differential fuzzing of the gateway against the sidecar: each generated body goes through the compiled
// meshmcp.wasm in gateway mode (in process, filter/host), and whatever the gateway forwards is parsed by the sidecar's
// own request parser (JSON.parse and sidecar/mcp/classify.ts parseMessage, as sidecar/mcp/httpTransport.ts does).
// The invariant: what the gateway authorizes and routes is exactly the call the sidecar executes, or one of them
// refuses it. A tools/call (or prompts/get) the sidecar reads as tool (or prompt) N was routed by the gateway as N
// (so the policy that allowed it was N's), a message the sidecar reads as anything else was not routed to a tool, the
// bytes are forwarded unchanged but for the trace added to params._meta (the routing table here has sidecars only),
// and the module never traps.
//
// `npm run test:reliability` runs 1,000,000 cases (MESHMCP_FUZZ_CASES overrides); `npm test` runs 20,000.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPlugin, type Plugin, type StreamResult } from '../../filter/host/index.js';
import { parseMessage } from '../../sidecar/mcp/classify.js';
import { example, filterWasm, traceRemovals } from '../filter/harness.js';
import { anyBody } from './bodies.js';

const CASES = Number(process.env['MESHMCP_FUZZ_CASES'] ?? 20_000);
const CONTROL = 'meshmcp-control';

type SidecarView = { refused: true } | { refused: false; method: string; name: unknown };

/** What the sidecar makes of the bytes it is handed: refused, or the method (and tool name) it would act on. */
function sidecarView(bytes: Uint8Array): SidecarView {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { refused: true };
  }
  try {
    const m = parseMessage(parsed);
    return { refused: false, method: m.method, name: m.params['name'] };
  } catch {
    return { refused: true };
  }
}

const header = (r: StreamResult, name: string) => r.forwarded?.headers.find(([k]) => k.toLowerCase() === name)?.[1];

async function gatewayForFuzz(): Promise<Plugin> {
  const config = example('gateway');
  delete config.rateLimits;
  config.audit = { params: 'redact', logLevel: 'off' };
  return createPlugin(filterWasm(), JSON.stringify(config), { allowOnHeadersStopIteration: true, logLimit: 16 });
}

/** sam in group sre: allowed every tool, so only the routing table and the parser decide. */
const SAM = {
  metadata: { filter_metadata: { 'envoy.filters.http.jwt_authn': { payload: { sub: 'sam', groups: ['sre'] } } } },
};

describe('gateway and sidecar agree on every body', () => {
  it(`${CASES} generated bodies: the gateway routes exactly the call the sidecar executes, or one refuses`, async () => {
    const p = await gatewayForFuzz();
    const seen = { forwarded: 0, toolCalls: 0, refusedByGateway: 0, refusedBySidecar: 0 };
    const t0 = performance.now();
    fc.assert(
      fc.property(anyBody, (bytes) => {
        const r = p.runStream({
          request: {
            headers: {
              ':method': 'POST',
              ':path': '/mcp',
              ':authority': 'mcp.example.com',
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
            body: bytes,
          },
          properties: SAM,
        });
        if (r.vmFailed) throw new Error('the filter trapped');
        if (!r.forwarded) {
          seen.refusedByGateway++;
          return;
        }
        seen.forwarded++;
        // Unchanged but for the trace the gateway adds to params._meta when the message has none.
        const forwarded = Buffer.from(r.forwarded.body);
        if (!forwarded.equals(Buffer.from(bytes))) {
          const readings = traceRemovals(forwarded.toString('utf8'), header(r, 'traceparent'));
          const original = Buffer.from(bytes);
          expect(
            readings.some((rest) => Buffer.from(rest).equals(original)),
            'forwarded bytes changed beyond the trace',
          ).toBe(true);
        }
        const service = header(r, 'x-meshmcp-service');
        const tool = header(r, 'x-meshmcp-tool');
        const side = sidecarView(r.forwarded.body);
        if (side.refused) {
          seen.refusedBySidecar++;
          return;
        }
        if (side.method === 'tools/call' || side.method === 'prompts/get') {
          seen.toolCalls++;
          // A sidecar refuses a tools/call whose name is not a string; any string it runs must be the routed tool.
          if (typeof side.name !== 'string') return;
          expect(tool, `the gateway did not route ${side.method} ${side.name} to a tool or prompt`).toBeDefined();
          expect(`${service}__${tool}`).toBe(side.name);
        } else {
          expect(tool, `the gateway routed ${side.method} as tool ${tool}`).toBeUndefined();
          expect(service).toBe(CONTROL);
        }
      }),
      { numRuns: CASES },
    );
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(
      `differential fuzz: ${CASES} bodies in ${seconds.toFixed(1)} s; forwarded ${seen.forwarded} ` +
        `(tools/call ${seen.toolCalls}), refused by the gateway ${seen.refusedByGateway}, ` +
        `by the sidecar ${seen.refusedBySidecar}\n`,
    );
    expect(p.failure(0)).toBeUndefined();
    // The generator reaches both sides of every decision.
    expect(seen.toolCalls).toBeGreaterThan(CASES / 20);
    expect(seen.refusedByGateway).toBeGreaterThan(CASES / 20);
  }, 3_600_000);
});
