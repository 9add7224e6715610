// check_endpoints: probes the app paths configured for this service concurrently and reports status and latency.
import { nowMs } from '../clock.js';
import { ToolError } from '../errors.js';
import { requestTimeout, roundMs, toolResult } from '../toolSupport.js';
import type { Tool } from '../types.js';

/** Probes in flight at once; the configured list is short, but an operator typo must not open dozens of sockets. */
const CONCURRENCY = 8;
const PROBE_MAX_BYTES = 16 * 1024;

export interface ProbeResult {
  path: string;
  ok: boolean;
  status?: number;
  latency_ms?: number;
  error?: string;
}

export const checkEndpoints: Tool = {
  name: 'check_endpoints',
  title: 'Probe app endpoints',
  description:
    'Probes the app endpoints configured for this service (a GET on each, concurrently, each with its own ' +
    'timeout) and returns per path the HTTP status and latency, plus a summary of how many are ok (status below ' +
    '400) and how many fail (error status, refused connection or timeout). Use it to see which parts of a service ' +
    'are broken or slow. `paths` picks a subset of the configured paths (only configured paths can be probed); ' +
    '`timeout_ms` bounds each probe.',
  inputSchema: {
    type: 'object',
    properties: {
      paths: {
        type: 'array',
        maxItems: 50,
        items: { type: 'string', maxLength: 256 },
        description: 'subset of the configured endpoint paths to probe; omit to probe all of them',
      },
      timeout_ms: {
        type: 'integer',
        minimum: 100,
        maximum: 10000,
        default: 3000,
        description: 'time limit of each probe in milliseconds (default 3000)',
      },
    },
    additionalProperties: false,
  },
  annotations: { title: 'Probe app endpoints', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const configured = ctx.settings.endpoints;
    if (configured.length === 0) {
      throw new ToolError('no endpoints are configured for this service; set CHECK_ENDPOINTS (comma-separated paths)');
    }
    let paths = configured;
    if (Array.isArray(args['paths']) && args['paths'].length > 0) {
      // Only configured paths: the model must not turn the sidecar into a request forwarder.
      const unknown = args['paths'].filter((p) => typeof p !== 'string' || !configured.includes(p));
      if (unknown.length) {
        throw new ToolError(
          `not configured for probing: ${unknown.map((p) => JSON.stringify(p)).join(', ')}; ` +
            `configured paths: ${configured.join(', ')}`,
        );
      }
      paths = [...new Set(args['paths'] as string[])];
    }
    const perProbe = typeof args['timeout_ms'] === 'number' ? args['timeout_ms'] : 3000;
    const timeoutMs = requestTimeout(ctx, perProbe);

    const results: ProbeResult[] = new Array(paths.length);
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const i = next++;
        results[i] = await probe(ctx, paths[i]!, timeoutMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, paths.length) }, worker));

    const ok = results.filter((r) => r.ok).length;
    const failing = results.length - ok;
    const lines = [`${ok} ok / ${failing} failing (${results.length} endpoints of ${ctx.settings.appUrl})`];
    for (const r of results) {
      const what = r.status !== undefined ? String(r.status) : 'ERROR';
      const latency = r.latency_ms !== undefined ? ` ${r.latency_ms} ms` : '';
      lines.push(`${r.ok ? 'ok  ' : 'FAIL'} ${r.path} ${what}${latency}${r.error ? ` ${r.error}` : ''}`);
    }
    if (failing === results.length && results.every((r) => r.status === undefined)) {
      lines.push(`note: no endpoint answered; check that the app is running and listening on ${ctx.settings.appUrl}`);
    }
    return toolResult(lines.join('\n'), { ok, failing, total: results.length, timeout_ms: timeoutMs, results });
  },
};

async function probe(ctx: Parameters<Tool['run']>[1], path: string, timeoutMs: number): Promise<ProbeResult> {
  const started = nowMs();
  try {
    const res = await ctx.http.request(ctx.settings.appUrl + path, {
      timeoutMs,
      maxBytes: PROBE_MAX_BYTES,
      endpoint: 'check_endpoints',
      signal: ctx.signal,
    });
    const ok = res.status < 400;
    return { path, ok, status: res.status, latency_ms: roundMs(res.durationMs) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // The client's messages repeat the URL; the path is already on the row.
    const why = message.replace(/^\S+ \S+ (failed: )?/, '');
    return { path, ok: false, latency_ms: roundMs(nowMs() - started), error: why };
  }
}
