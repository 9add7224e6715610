// What the sidecar benchmarks share (bench/sidecar.ts, bench/sidecarCgroup.ts, bench/kubePackCgroup.ts): the
// sidecar's argv, the MCP calls they accept, and the stand-in upstream whose 4 MiB answers make the heavy tools hit
// their byte caps.
import http from 'node:http';
import { SIDECAR_NODE_FLAGS } from '../sidecar/nodeFlags.js';
import { timedPost } from './mcpPost.js';

/** node's argv for the bundled sidecar with its shipped flags, on a free port, with `args`. */
export const bundleArgs = (...args: string[]): string[] => [
  ...SIDECAR_NODE_FLAGS,
  'dist/sidecar-bundle/meshmcp-sidecar.mjs',
  '--port',
  '0',
  ...args,
];

/** node's argv for the bundled sidecar with its shipped flags, serving payment-service from `appUrl`. */
export function sidecarArgs(appUrl: string, envoyAdminUrl?: string): string[] {
  return bundleArgs(
    '--service-name',
    'payment-service',
    '--app-url',
    appUrl,
    ...(envoyAdminUrl ? ['--envoy-admin-url', envoyAdminUrl] : []),
    '--tools-config',
    'demo/tools/payment-service.yaml',
  );
}

/**
 * One MCP request to the sidecar on `port` over `agent`, accepted only as a 200 without a JSON-RPC error or isError
 * result; resolves with the round trip in ms.
 */
export const mcpCall =
  (agent: http.Agent) =>
  (port: number, body: string): Promise<number> =>
    timedPost(
      { module: http, options: { host: '127.0.0.1', port, agent } },
      body,
      (status, text) => status === 200 && !text.includes('"isError":true') && !text.includes('"error"'),
    );

export interface McpToolResult {
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * One MCP tools/call to the sidecar on `port` over `agent`: its result, an isError one too, and the round trip in ms;
 * rejects on anything but a 200 carrying a JSON-RPC result.
 */
export const mcpResult =
  (agent: http.Agent) =>
  async (port: number, body: string): Promise<{ result: McpToolResult; ms: number }> => {
    let text = '';
    const ms = await timedPost({ module: http, options: { host: '127.0.0.1', port, agent } }, body, (status, t) => {
      text = t;
      return status === 200;
    });
    const result = (JSON.parse(text) as { result?: McpToolResult }).result;
    if (!result) throw new Error(`unexpected answer: ${text.slice(0, 300)}`);
    return { result, ms };
  };

/** get_metrics over the whole 4 MiB scrape, matching a few of its series. */
export const getMetricsBody = (id: number): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'get_metrics', arguments: { match: 'resource/1' } },
  });

/** query_envoy on the whole 4 MiB config_dump. */
export const configDumpBody = (id: number): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'query_envoy', arguments: { endpoint: 'config_dump' } },
  });

export interface BigUpstream {
  port: number;
  /** the 4 MiB answers sent so far */
  served: { metrics: number; configDump: number };
  close(): void;
}

/**
 * A stand-in upstream with big answers: 4 MiB of Prometheus text on /metrics and a 4 MiB /config_dump, serving as
 * both the app and (a mock of) Envoy admin, so the heavy tools hit their byte caps on every call.
 */
export async function startBigUpstream(): Promise<BigUpstream> {
  let metrics = '# TYPE http_requests_total counter\n';
  for (let i = 0; metrics.length < 4 * 1024 * 1024; i++) {
    metrics += `http_requests_total{method="GET",path="/api/v1/resource/${i}",status="200",pod="pod-${i % 50}"} ${i}\n`;
  }
  const dump = JSON.stringify({ configs: [{ dynamic_active_clusters: [{ blob: 'x'.repeat(4 * 1024 * 1024) }] }] });
  const served = { metrics: 0, configDump: 0 };
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) {
      served.metrics++;
      res.end(metrics);
    } else if (req.url?.startsWith('/config_dump')) {
      served.configDump++;
      res.end(dump);
    } else {
      res.end('{"status":"ok"}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, served, close: () => server.close() };
}
