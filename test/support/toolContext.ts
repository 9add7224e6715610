// A real ToolContext for tool and executor tests: the real settings shape, the real bounded HTTP client allowing
// only the hosts a test names, a silent logger, and a call that validates arguments as the sidecar's runner does.
import { validateArgs } from '../../sidecar/args.js';
import { createHttpClient } from '../../sidecar/http/client.js';
import type { SidecarSettings, Tool, ToolContext, ToolResult } from '../../sidecar/types.js';
import { closedUrl } from './ports.js';

/** Where the settings point unless a test says otherwise: an address this file reserved, where nothing listens. */
const NOTHING_LISTENS = await closedUrl();

export function testSettings(over: Partial<SidecarSettings> = {}): SidecarSettings {
  return {
    port: 3000,
    host: '127.0.0.1',
    serviceName: 'payment-service',
    appUrl: NOTHING_LISTENS,
    envoyAdminUrl: NOTHING_LISTENS,
    prometheusUrl: undefined,
    toolsConfig: 'tools.yaml',
    logDir: 'logs',
    endpoints: ['/health', '/metrics'],
    healthPath: '/health',
    metricsPath: '/metrics',
    allowedHosts: [],
    allowedOrigins: [],
    maxBodyBytes: 262144,
    toolTimeoutMs: 10_000,
    logLevel: 'error',
    ...over,
  };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** `allowed` lists the host:port values the HTTP client may reach (default: the app and Envoy admin). */
export function testContext(
  opts: {
    settings?: Partial<SidecarSettings>;
    env?: Record<string, string | undefined>;
    allowed?: string[];
    signal?: AbortSignal;
  } = {},
): ToolContext {
  const settings = testSettings(opts.settings);
  const allowed = new Set(opts.allowed ?? [new URL(settings.appUrl).host, new URL(settings.envoyAdminUrl).host]);
  return {
    settings,
    http: createHttpClient({ isAllowed: (u) => allowed.has(u.host) }),
    log: silent,
    env: Object.freeze({ ...(opts.env ?? {}) }),
    signal: opts.signal ?? new AbortController().signal,
  };
}

export class InvalidArgs extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid arguments: ${errors.join('; ')}`);
  }
}

/** Calls a tool the way the sidecar's runner does: arguments validated against inputSchema, defaults applied. */
export async function callTool(tool: Tool, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const checked = validateArgs(tool.inputSchema, args);
  if (!checked.ok) throw new InvalidArgs(checked.errors);
  return tool.run(checked.value, ctx);
}
