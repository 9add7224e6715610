// Collects one sidecar's tools: tools/list over every page with the MCP SDK v2 client, bounded in time, pages,
// tools and response bytes. The only network I/O of the catalog stage.
import { Client, type PriorDiscovery, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { VERSION } from '../../shared/version.js';
import { CARRIED_EXTENSIONS } from '../catalogRules.js';
import type { ServerOfferings } from '../types.js';
import type { ToolDescriptor } from './catalog.js';
import { type CollectionFetch, collectionFetch } from './collectionFetch.js';
import { type ListHints, watchListHints } from './listHints.js';

export interface CollectLimits {
  /** The whole collection (connect and every page) must finish within this. */
  timeoutMs: number;
  maxPages: number;
  maxTools: number;
  /** Per HTTP response; a sidecar that answers more is cut off. */
  maxResponseBytes: number;
}

export const DEFAULT_LIMITS: CollectLimits = {
  timeoutMs: 5_000,
  maxPages: 64,
  maxTools: 4096,
  maxResponseBytes: 8 * 1024 * 1024,
};

export interface Collected {
  tools: ToolDescriptor[];
  /** Prompts, resources and templates, each listed when the server's capabilities offer it. */
  offerings: ServerOfferings;
  /** The era the sidecar answered in; passed back next time to skip the version probe. */
  prior: PriorDiscovery;
  /** Each list's caching hints, merged over its pages, when the server answered in 2026-07-28. */
  cacheHints?: ListHints;
}

export class CollectError extends Error {
  override name = 'CollectError';
}

/** A Response whose body errors once it passes limit bytes (a misbehaving sidecar must not fill our memory). */
function bounded(res: Response, limit: number): Response {
  if (res.body === null) return res;
  const length = res.headers.get('content-length');
  const declared = length === null ? Number.NaN : Number(length);
  if (Number.isFinite(declared) && declared > limit) {
    void res.body.cancel();
    throw new CollectError(`response of ${declared} bytes is above the ${limit}-byte limit`);
  }
  // A declared length within the limit bounds the body already: the HTTP client fails a body longer or shorter.
  if (Number.isFinite(declared)) return res;
  let seen = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        seen += chunk.byteLength;
        if (seen > limit) ctl.error(new CollectError(`response is above the ${limit}-byte limit`));
        else ctl.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function describe(err: unknown, url: string, timedOut: boolean, maxPages: number): string {
  if (timedOut) return `tools/list from ${url} did not finish in time (the sidecar is slow or unreachable)`;
  if (/listMaxPages/.test(String((err as Error)?.message))) {
    return `tools/list from ${url} has more than ${maxPages} pages (a cursor that never ends, or too many tools)`;
  }
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  // fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in a chain of causes.
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    // A cause the SDK already quoted in its own message is not repeated.
    if (typeof e.message === 'string' && e.message !== '' && !parts.some((p) => p.includes(e!.message!)))
      parts.push(e.message);
    e = e.cause as typeof e;
  }
  return `tools/list from ${url} failed: ${parts.join(': ').slice(0, 500) || String(err)}`;
}

/**
 * The server's prompts, resources and templates, each asked for only when its capabilities offer it. A list that
 * fails or runs long is a CollectError like the tools': the service keeps its last known catalog meanwhile.
 */
async function collectOfferings(
  client: Client,
  opts: { signal: AbortSignal; timeout: number },
  url: string,
  max: number,
): Promise<ServerOfferings> {
  const caps = client.getServerCapabilities() ?? {};
  const out: ServerOfferings = {};
  const bounded = <T>(what: string, list: T[]): T[] => {
    if (list.length > max) throw new CollectError(`${what} from ${url} lists ${list.length} items, above ${max}`);
    return list;
  };
  const extensions = Object.keys(caps.extensions ?? {}).filter((e) => CARRIED_EXTENSIONS.includes(e));
  if (extensions.length > 0) out.extensions = extensions;
  // 2025-11-25 tasks: tools/call may run as one.
  if (caps.tasks?.requests?.tools?.call !== undefined) out.sessionTasks = true;
  if (caps.prompts) out.prompts = bounded('prompts/list', (await client.listPrompts(undefined, opts)).prompts);
  if (caps.resources) {
    out.resources = bounded('resources/list', (await client.listResources(undefined, opts)).resources);
    const templates = await client.listResourceTemplates(undefined, opts);
    out.resourceTemplates = bounded('resources/templates/list', templates.resourceTemplates);
  }
  return out as ServerOfferings;
}

/** One collection's transport and the connections it opened. */
interface Collection {
  transport: StreamableHTTPClientTransport;
  http: CollectionFetch;
}

/**
 * The transport of one collection: every request bounded in bytes and by the collection's deadline, over
 * connections of its own that endCollection closes (collectionFetch.ts).
 */
function collection(url: string, limits: CollectLimits, abort: AbortSignal): Collection {
  const http = collectionFetch();
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: async (input, init) => {
      const signal = init?.signal ? AbortSignal.any([init.signal, abort]) : abort;
      return bounded(await http.fetch(input, { ...init, signal }), limits.maxResponseBytes);
    },
    // A refresh that fails is retried on the next round, not by the transport.
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 1000,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1,
    },
  });
  return { transport, http };
}

/** A server that opened a session for a collection keeps it until told (DELETE); every refresh opens one. */
async function endCollection(client: Client, { transport, http }: Collection): Promise<void> {
  if (transport.sessionId !== undefined) await transport.terminateSession().catch(() => undefined);
  await client.close().catch(() => undefined);
  http.close();
}

/**
 * A server that keeps sessions is reached from the aggregated /mcp through a session its pod opens per call, offering
 * the server no client capabilities. A tool it lists only to a client offering them (sampling, elicitation, roots) is
 * marked sessionOnly: one more listing, as such a client, tells which.
 */
async function markSessionOnly(
  url: string,
  tools: ToolDescriptor[],
  limits: CollectLimits,
  abort: AbortSignal,
): Promise<void> {
  const client = new Client(
    { name: 'meshmcp-control', version: VERSION },
    { versionNegotiation: { mode: 'legacy' }, listMaxPages: limits.maxPages },
  );
  const c = collection(url, limits, abort);
  const opts = { signal: abort, timeout: limits.timeoutMs };
  try {
    await client.connect(c.transport, opts);
    const plain = new Set(
      (await client.listTools(undefined, { ...opts, cacheMode: 'bypass' })).tools.map((t) => t.name),
    );
    for (const t of tools) if (!plain.has(t.name)) t.sessionOnly = true;
  } finally {
    await endCollection(client, c);
  }
}

/**
 * Lists every tool of the MCP endpoint at url, on connections of its own, closed when it is done. Throws
 * CollectError with a message that names the URL and what went wrong.
 */
export async function collectTools(
  url: string,
  limits: CollectLimits = DEFAULT_LIMITS,
  prior?: PriorDiscovery,
  signal?: AbortSignal,
  sessions = false,
): Promise<Collected> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const abort = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const client = new Client(
    { name: 'meshmcp-control', version: VERSION },
    {
      versionNegotiation: { mode: 'auto' },
      listMaxPages: limits.maxPages,
      // What the clients behind the gateway may offer: some servers list a tool only to a client that can serve it
      // (server-everything's sampling and elicitation tools). Nothing is asked of the collector while it lists.
      capabilities: { sampling: {}, elicitation: {}, roots: {} },
    },
  );
  const hints = watchListHints(client);
  const c = collection(url, limits, abort);
  const opts = { signal: abort, timeout: limits.timeoutMs };
  try {
    await client.connect(c.transport, prior ? { ...opts, prior } : opts);
    // Without a cursor the SDK walks every page itself, up to listMaxPages.
    const result = await client.listTools(undefined, { ...opts, cacheMode: 'bypass' });
    const tools = result.tools as ToolDescriptor[];
    if (tools.length > limits.maxTools) {
      throw new CollectError(
        `tools/list from ${url} lists ${tools.length} tools, above the limit of ${limits.maxTools}`,
      );
    }
    const offerings = await collectOfferings(client, opts, url, limits.maxTools);
    const discover = client.getDiscoverResult();
    if (sessions && !discover) await markSessionOnly(url, tools, limits, abort);
    const cacheHints = hints();
    // 'modern' and 'legacy' are the SDK's names (PriorDiscovery): a server/discover server, or one that uses initialize.
    return {
      tools,
      offerings,
      prior: discover ? { kind: 'modern', discover } : { kind: 'legacy' },
      ...(cacheHints ? { cacheHints } : {}),
    };
  } catch (err) {
    if (err instanceof CollectError && !timeout.aborted) throw err;
    throw new CollectError(describe(err, url, timeout.aborted, limits.maxPages));
  } finally {
    await endCollection(client, c);
  }
}
