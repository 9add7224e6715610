// Test helpers for the generic tools: real loopback HTTP servers, a real ToolContext and a call that validates
// arguments the way the sidecar's runner does before a tool runs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateArgs } from '../../../sidecar/args.js';
import { createHttpClient } from '../../../sidecar/http/client.js';
import type { SidecarSettings, Tool, ToolContext, ToolResult } from '../../../sidecar/types.js';

export interface RecordedRequest {
  method: string;
  url: string;
}

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a real HTTP server on 127.0.0.1 (port 0) that records every request it receives. */
export async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound once, then released. */
export async function freePort(): Promise<number> {
  const s = await startServer((_req, res) => res.end());
  await s.close();
  return s.port;
}

export function makeSettings(overrides: Partial<SidecarSettings> = {}): SidecarSettings {
  return {
    port: 3000,
    host: '127.0.0.1',
    serviceName: 'payment-service',
    appUrl: 'http://127.0.0.1:1',
    envoyAdminUrl: 'http://127.0.0.1:1',
    prometheusUrl: undefined,
    toolsConfig: 'tools.yaml',
    logDir: 'logs',
    endpoints: ['/health', '/metrics'],
    healthPath: '/health',
    metricsPath: '/metrics',
    allowedHosts: [],
    allowedOrigins: [],
    maxBodyBytes: 262144,
    toolTimeoutMs: 10000,
    logLevel: 'info',
    ...overrides,
  };
}

/** A real context: the bounded HTTP client allowing only the app and Envoy admin origins of settings. */
export function makeContext(settings: SidecarSettings, env: Record<string, string | undefined> = {}): ToolContext {
  const allowed = new Set([new URL(settings.appUrl).host, new URL(settings.envoyAdminUrl).host]);
  const noop = () => {};
  return {
    settings,
    http: createHttpClient({ isAllowed: (u) => allowed.has(u.host) }),
    log: { debug: noop, info: noop, warn: noop, error: noop },
    env,
    signal: new AbortController().signal,
  };
}

/** Validates args against the tool's schema (as the runner does), then runs it. */
export async function call(tool: Tool, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const checked = validateArgs(tool.inputSchema, args);
  if (!checked.ok) throw new InvalidArgs(checked.errors);
  return tool.run(checked.value, ctx);
}

export class InvalidArgs extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
  }
}

export function textOf(r: ToolResult): string {
  return r.content.map((c) => c.text).join('\n');
}

export function structured<T = Record<string, unknown>>(r: ToolResult): T {
  return r.structuredContent as T;
}
