// The control service's fastify app: the aggregated MCP endpoint, the protected resource metadata, and /healthz,
// /readyz, /metrics. buildApp returns the app; main.ts only listens (DESIGN.md: fastify apps are plugins).
import fastify, { type FastifyInstance, LogController } from 'fastify';
import type { ControlLogger } from './log.js';
import type { McpEndpoint } from './mcp/endpoint.js';
import { mcpRoutes } from './mcp/routes.js';
import type { ControlMetrics } from './metrics.js';
import type { ProtectedResource } from './types.js';

export interface AppOptions {
  endpoint: McpEndpoint;
  metrics: ControlMetrics;
  /** Pino logger for request logs; false for none. */
  logger: ControlLogger | false;
  oauth?: ProtectedResource;
  /** Browser origins allowed to call /mcp (requests without Origin are not browsers and pass). */
  allowedOrigins?: string[];
  /** Extra readiness condition beside "a catalog has arrived" (e.g. discovery has listed once). */
  ready?: () => string | undefined;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    // Long-lived list_changed streams must not hold a graceful close forever.
    forceCloseConnections: true,
    requestTimeout: 0,
  }) as unknown as FastifyInstance;
  const { endpoint, metrics } = opts;

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const other = opts.ready?.();
    if (!endpoint.hasCatalog() || other !== undefined) {
      return reply.code(503).send({ status: 'not ready', reason: other ?? 'no catalog yet' });
    }
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    metrics.listenStreams.set(endpoint.streams());
    metrics.observeViewCache(endpoint.cacheStats());
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  await app.register(mcpRoutes, {
    endpoint,
    allowedOrigins: opts.allowedOrigins ?? [],
    ...(opts.oauth ? { oauth: opts.oauth } : {}),
    onRequest: (method, status) => metrics.requests.inc({ method, status: String(status) }),
  });
  app.addHook('onClose', async () => {
    await endpoint.close();
  });
  return app;
}
