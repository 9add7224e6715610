// MeshClient: what a bot (or any program) needs to use the mesh's MCP tools: list them over all pages and call them,
// against the gateway (servers are service prefixes: `payment-service` → `payment-service__get_health`) or against
// named MCP servers of their own (`MCP_KUBERNETES_URL`-style), in either protocol era, with a timeout per request
// and one retry after a connection error (a tool call only when it cannot have reached the server). A server that is down gives a result that says so, never a
// thrown error, so a chat answer can name what is unavailable.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { VERSION } from '../shared/version.js';

export type Protocol = 'auto' | '2025-11-25' | '2026-07-28';

export interface MeshClientOptions {
  /** The gateway's MCP endpoint: every service's tools, named `<service>__<tool>`. */
  url?: string;
  /** Named MCP servers, each its own endpoint (used instead of, or beside, the gateway). */
  servers?: Record<string, string>;
  /** Sent with every request, e.g. `{ 'x-api-key': … }` or `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Default `auto`: the server's newest revision (2026-07-28 stateless, else the 2025-11-25 handshake). */
  protocol?: Protocol;
  /** Per request, connecting included. Default 30 s. */
  timeoutMs?: number;
  /** The client name servers see in their logs. Default `meshmcp-client`. */
  clientName?: string;
}

export interface ToolInfo {
  /** The server it belongs to: the service prefix through the gateway, or the named server. */
  server: string;
  /** The tool's own name (`get_health`). */
  name: string;
  /** What to call it by at its endpoint (`payment-service__get_health` through the gateway). */
  fullName: string;
  description: string;
  inputSchema: Record<string, unknown>;
  readOnly: boolean;
}

export interface ListResult {
  tools: ToolInfo[];
  /** Servers that could not be listed, each with why; the tools of the others are still there. */
  unavailable: Array<{ server: string; error: string }>;
}

export interface CallResult {
  /** The tool said it failed (isError), or the server could not be reached (then `unavailable` too). */
  isError: boolean;
  /** The server could not be reached or did not answer: `text` says which and why. */
  unavailable: boolean;
  /** The text content joined, or the error. */
  text: string;
  content: Array<Record<string, unknown>>;
  structuredContent?: Record<string, unknown>;
}

/** The named servers in an environment: `MCP_<NAME>_URL=…` → `<name>` (lower case, `_` → `-`). */
export function serversFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const m = /^MCP_([A-Z0-9_]+)_URL$/.exec(key);
    if (m && value) out[m[1]!.toLowerCase().replace(/_/g, '-')] = value;
  }
  return out;
}

const NOT_DELIVERED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/;
const CONNECTION_LOST = /^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/;

/** err and its causes, at most four deep (fetch wraps the socket's error in a TypeError's cause). */
function* causes(err: unknown): Generator<unknown> {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) yield e;
}

/**
 * What kind of connection error err is (its code, or a cause's): `not-delivered` when no server can have seen the
 * request (refused, unresolvable, unreachable), `lost` when the connection broke and the request may have arrived,
 * else undefined (a server's answer, a timeout, a protocol error).
 */
export function connectionError(err: unknown): 'not-delivered' | 'lost' | undefined {
  for (const e of causes(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (NOT_DELIVERED.test(code)) return 'not-delivered';
    if (CONNECTION_LOST.test(code)) return 'lost';
  }
  return undefined;
}

function describe(err: unknown): string {
  const parts: string[] = [];
  for (const e of causes(err)) {
    const message = (e as Error).message ?? String(e);
    if (message && !parts.includes(message)) parts.push(message);
  }
  return parts.join(': ') || 'unknown error';
}

interface Endpoint {
  url: URL;
  /** Through the gateway: names are prefixed with the service. */
  gateway: boolean;
  client?: Promise<Client>;
}

const GATEWAY = '';

export class MeshClient {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly headers: Record<string, string>;
  private readonly protocol: Protocol;
  private readonly timeoutMs: number;
  private readonly clientName: string;

  constructor(options: MeshClientOptions) {
    if (!options.url && Object.keys(options.servers ?? {}).length === 0) {
      throw new Error('MeshClient needs a gateway url or at least one named server (servers: { name: url })');
    }
    const add = (name: string, url: string, gateway: boolean) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new Error(
          `MeshClient: ${gateway ? 'the gateway url' : `server ${name}'s url`} ${JSON.stringify(url)} is not a URL`,
        );
      }
      this.endpoints.set(name, { url: parsed, gateway });
    };
    if (options.url) add(GATEWAY, options.url, true);
    for (const [name, url] of Object.entries(options.servers ?? {})) add(name, url, false);
    this.headers = { ...options.headers };
    this.protocol = options.protocol ?? 'auto';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.clientName = options.clientName ?? 'meshmcp-client';
  }

  /** From `MESHMCP_URL` (the gateway) and `MCP_<NAME>_URL` variables (named servers). */
  static fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    extra: Omit<MeshClientOptions, 'url' | 'servers'> = {},
  ): MeshClient {
    const url = env['MESHMCP_URL'];
    return new MeshClient({ ...extra, ...(url ? { url } : {}), servers: serversFromEnv(env) });
  }

  /** The named servers (the gateway's services are found by listTools()). */
  namedServers(): string[] {
    return [...this.endpoints.keys()].filter((k) => k !== GATEWAY);
  }

  /**
   * Every tool, over all pages: of one server (a named server, or a service prefix through the gateway) or of all.
   * Servers that cannot be listed are reported in `unavailable`, not thrown.
   */
  async listTools(server?: string): Promise<ListResult> {
    const result: ListResult = { tools: [], unavailable: [] };
    const named = server !== undefined ? this.endpoints.get(server) : undefined;
    const targets: Array<[string, Endpoint]> = named
      ? [[server!, named]]
      : [...this.endpoints].filter(([name]) => server === undefined || name === GATEWAY);
    if (targets.length === 0) {
      result.unavailable.push({ server: server ?? '', error: `no server named ${server} is configured` });
      return result;
    }
    for (const [name, endpoint] of targets) {
      try {
        const tools = await this.withRetry(
          endpoint,
          async (client) => {
            const all = [];
            let cursor: string | undefined;
            do {
              const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.timeoutMs });
              all.push(...page.tools);
              cursor = page.nextCursor;
            } while (cursor);
            return all;
          },
          true,
        );
        for (const t of tools) {
          const info = this.toolInfo(name, endpoint, t);
          if (server === undefined || info.server === server) result.tools.push(info);
        }
      } catch (err) {
        result.unavailable.push({ server: name || (server ?? 'gateway'), error: describe(err) });
      }
    }
    if (server !== undefined && !named && result.tools.length === 0 && result.unavailable.length === 0) {
      result.unavailable.push({ server, error: `the gateway lists no tools of ${server} for this caller` });
    }
    return result;
  }

  /** Calls a tool; a server that is down or does not answer gives `unavailable` with the reason, not an exception. */
  async callTool(server: string, tool: string, args: Record<string, unknown> = {}): Promise<CallResult> {
    const named = this.endpoints.get(server);
    const endpoint = named ?? this.endpoints.get(GATEWAY);
    if (!endpoint || server === GATEWAY) {
      return unavailable(`no server named ${server} is configured (and no gateway url to reach it through)`);
    }
    const name = named ? tool : `${server}__${tool}`;
    try {
      const r = await this.withRetry(
        endpoint,
        (client) => client.callTool({ name, arguments: args }, { timeout: this.timeoutMs }),
        false,
      );
      const content = (r.content ?? []) as Array<Record<string, unknown>>;
      const text = content
        .filter((c) => c['type'] === 'text')
        .map((c) => String(c['text']))
        .join('\n');
      return {
        isError: r.isError === true,
        unavailable: false,
        text,
        content,
        ...(r.structuredContent ? { structuredContent: r.structuredContent as Record<string, unknown> } : {}),
      };
    } catch (err) {
      return unavailable(`${server} is unavailable: ${describe(err)}`);
    }
  }

  async close(): Promise<void> {
    const clients = [...this.endpoints.values()].map((e) => e.client).filter((c) => c !== undefined);
    for (const e of this.endpoints.values()) e.client = undefined;
    await Promise.all(clients.map((c) => c.then((client) => client.close()).catch(() => undefined)));
  }

  private toolInfo(
    name: string,
    endpoint: Endpoint,
    t: { name: string; description?: string; inputSchema: unknown; annotations?: { readOnlyHint?: boolean } },
  ): ToolInfo {
    const split = endpoint.gateway ? t.name.indexOf('__') : -1;
    return {
      server: split > 0 ? t.name.slice(0, split) : name,
      name: split > 0 ? t.name.slice(split + 2) : t.name,
      fullName: t.name,
      description: t.description ?? '',
      inputSchema: (t.inputSchema ?? {}) as Record<string, unknown>,
      readOnly: t.annotations?.readOnlyHint !== false,
    };
  }

  private connect(endpoint: Endpoint): Promise<Client> {
    endpoint.client ??= (async () => {
      const mode =
        this.protocol === 'auto' ? 'auto' : this.protocol === '2025-11-25' ? 'legacy' : { pin: this.protocol };
      const client = new Client({ name: this.clientName, version: VERSION }, { versionNegotiation: { mode } });
      const transport = new StreamableHTTPClientTransport(endpoint.url, { requestInit: { headers: this.headers } });
      await client.connect(transport, { timeout: this.timeoutMs });
      return client;
    })();
    // A failed connection is not kept: the next request connects again.
    endpoint.client.catch(() => {
      endpoint.client = undefined;
    });
    return endpoint.client;
  }

  /**
   * Runs fn on the endpoint's client and, after a connection error, once more on a new connection: always when
   * connecting failed (nothing was sent yet), and when fn's own request failed after any connection error if
   * `idempotent` (listing), else only when it cannot have reached the server, so a tool call that may have run is
   * never run twice.
   */
  private async withRetry<T>(endpoint: Endpoint, fn: (client: Client) => Promise<T>, idempotent: boolean): Promise<T> {
    let client: Client;
    try {
      client = await this.connect(endpoint);
    } catch (err) {
      if (connectionError(err) === undefined) throw err;
      await this.drop(endpoint);
      return fn(await this.connect(endpoint));
    }
    try {
      return await fn(client);
    } catch (err) {
      const kind = connectionError(err);
      if (kind === undefined || (kind === 'lost' && !idempotent)) throw err;
      await this.drop(endpoint);
      return fn(await this.connect(endpoint));
    }
  }

  private async drop(endpoint: Endpoint): Promise<void> {
    const c = endpoint.client;
    endpoint.client = undefined;
    await c?.then((client) => client.close()).catch(() => undefined);
  }
}

function unavailable(text: string): CallResult {
  return { isError: true, unavailable: true, text, content: [{ type: 'text', text }] };
}
