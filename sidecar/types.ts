// The sidecar's shared types: what a tool is, what it gets to work with, and what it returns.

/** The JSON Schema subset tool inputs use (validated by sidecar/args.ts before a tool runs). */
export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
}

export interface ObjectSchema extends JsonSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
}

/** MCP tool annotations; every sidecar tool states readOnlyHint explicitly. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export type ContentBlock = { type: 'text'; text: string };

export interface ToolResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** Answer of one bounded HTTP exchange made by a tool. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** bytes received before the cap; body holds at most maxBytes */
  bytes: number;
  truncated: boolean;
  durationMs: number;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  maxBytes?: number;
  /** label for mcp_sidecar_localhost_requests_total{endpoint}; defaults to the URL path */
  endpoint?: string;
  signal?: AbortSignal;
}

export interface HttpClient {
  request(url: string, opts?: HttpRequestOptions): Promise<HttpResponse>;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Settings of one sidecar process, resolved from flags and environment (sidecar/config.ts). */
export interface SidecarSettings {
  port: number;
  host: string;
  serviceName: string;
  appUrl: string;
  envoyAdminUrl: string;
  prometheusUrl: string | undefined;
  toolsConfig: string;
  logDir: string;
  /** app paths check_endpoints probes (besides the health path) */
  endpoints: string[];
  healthPath: string;
  metricsPath: string;
  /** extra Host header values accepted on /mcp besides localhost and the pod's own names */
  allowedHosts: string[];
  /** Origin values accepted on /mcp (browsers); none by default */
  allowedOrigins: string[];
  maxBodyBytes: number;
  toolTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** a tool pack served instead of the generic tools (`--pack`) */
  pack?: 'prometheus' | 'logs' | 'kubernetes';
  /** the kubernetes pack's API server, credentials and namespace allow-list */
  kubernetes?: KubernetesSettings;
  /** the meshmcp gateway's MCP endpoint, for tools that act for their caller through it (trace_request) */
  gatewayUrl?: string;
  /** a file holding the delegate API key those tools present; else MESHMCP_GATEWAY_KEY */
  gatewayKeyFile?: string;
  /** the header that carries that key; `authorization` (the default) sends `Authorization: Bearer <key>` */
  gatewayKeyHeader?: string;
  /** bridge mode (`--bridge`): /mcp fronts this MCP server in the pod instead of serving tools */
  bridge?: BridgeSettings;
}

/** Bridge mode: the MCP server it fronts, the revisions that server speaks, and the bounds of what it holds. */
export interface BridgeSettings {
  /** a loopback http URL, e.g. http://127.0.0.1:3001/mcp */
  upstreamUrl: string;
  /** 2025-11-25 and/or 2026-07-28 */
  protocols: string[];
  /** exchanges in flight or held at once */
  maxHeld: number;
  /** the longest an exchange is held, from its first request */
  holdMs: number;
  /** how long the upstream has to start an answer, and between two messages a client waits for */
  timeoutMs: number;
}

/** Where the kubernetes pack reads: one API server, as one ServiceAccount, in the allowed namespaces. */
export interface KubernetesSettings {
  /** https://host:port of the API server */
  apiUrl: string;
  /** the ServiceAccount token, re-read as it rotates */
  tokenFile: string;
  /** the CA that signed the API server's certificate; undefined trusts the system's roots */
  caFile: string | undefined;
  /** the allow-list; ignored when allNamespaces */
  namespaces: string[];
  allNamespaces: boolean;
}

/** Who a call is for, as the gateway named it (sidecar/mcp/caller.ts). */
export interface Caller {
  principal: string;
  groups: readonly string[];
}

/** Everything a tool may use. Tools reach the network only through ctx.http and only the URLs named here. */
export interface ToolContext {
  settings: SidecarSettings;
  http: HttpClient;
  log: Logger;
  /** environment the tool may read (get_env_vars, value_from); a snapshot, never mutated */
  env: Readonly<Record<string, string | undefined>>;
  /** aborted when the tool's timeout elapses or the client goes away */
  signal: AbortSignal;
  /** the caller the gateway named for this call (x-meshmcp-principal / -groups); absent when called directly */
  caller?: Readonly<Caller>;
  /** the gateway's request id for this call; requests to the app carry it as x-request-id */
  requestId?: string;
}

export interface Tool {
  name: string;
  title?: string;
  description: string;
  inputSchema: ObjectSchema;
  annotations: ToolAnnotations;
  /** overrides the sidecar's default tool timeout */
  timeoutMs?: number;
  /** host[:port] values beyond the app, Envoy admin and Prometheus this tool may reach (tools.yaml allowed_hosts) */
  allowedHosts?: string[];
  /** arguments are already validated against inputSchema and defaults applied */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}
