// Starts the control service's real fastify app on loopback with a given catalog and policy, and connects the real
// SDK v2 client to it as the gateway would forward a caller (x-meshmcp-principal / -groups).
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../control/app.js';
import { McpEndpoint, type McpEndpointOptions } from '../../../control/mcp/endpoint.js';
import { ControlMetrics } from '../../../control/metrics.js';
import type { Catalog, CatalogService, GatewayPolicy, ProtectedResource } from '../../../control/types.js';

export interface RunningControl {
  app: FastifyInstance;
  endpoint: McpEndpoint;
  metrics: ControlMetrics;
  url: string;
  close(): Promise<void>;
}

export async function startControl(
  policy: GatewayPolicy['policy'],
  opts: Partial<McpEndpointOptions> & { oauth?: ProtectedResource; allowedOrigins?: string[] } = {},
): Promise<RunningControl> {
  const endpoint = new McpEndpoint({ version: '0.0.0-test', ...opts, policy });
  const metrics = new ControlMetrics({ defaultMetrics: false });
  const app = await buildApp({
    endpoint,
    metrics,
    logger: false,
    ...(opts.oauth ? { oauth: opts.oauth } : {}),
    ...(opts.allowedOrigins ? { allowedOrigins: opts.allowedOrigins } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, endpoint, metrics, url: `http://127.0.0.1:${port}/mcp`, close: () => app.close() };
}

/** A protocol revision: 2025-11-25 opens with initialize (the SDK's 'legacy' mode), 2026-07-28 is stateless. */
export type Era = '2025-11-25' | '2026-07-28';

export async function connectAs(
  url: string,
  era: Era,
  principal: string | undefined,
  groups: string[] = [],
  onToolsChanged?: () => void,
  extraHeaders: Record<string, string> = {},
): Promise<Client> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (principal !== undefined) headers['x-meshmcp-principal'] = principal;
  if (groups.length > 0) headers['x-meshmcp-groups'] = groups.join(',');
  const client = new Client(
    { name: 'control-test', version: '1.0.0' },
    {
      versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: era } },
      ...(onToolsChanged
        ? { listChanged: { tools: { autoRefresh: false, debounceMs: 0, onChanged: () => onToolsChanged() } } }
        : {}),
    },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A catalog service with the given tool names (already `<route>__<tool>`-named). */
export function service(route: string, tools: string[], namespace = 'production'): CatalogService {
  return {
    route,
    name: route,
    namespace,
    host: `${route}-mcp.${namespace}.svc.cluster.local`,
    port: 3000,
    selector: { app: route },
    health: { healthy: true, consecutiveFailures: 0 },
    tools: tools.map((t) => ({
      name: `${route}__${t}`,
      tool: t,
      description: `${t} of ${route}`,
      inputSchema: { type: 'object', properties: {} },
    })),
  };
}

export function catalogOf(...services: CatalogService[]): Catalog {
  return { services };
}
