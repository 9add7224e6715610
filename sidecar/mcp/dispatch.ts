// MCP method dispatch for one classified message, in either era. Transport-free: it returns the JSON-RPC response
// (or nothing, for notifications) and the HTTP status it travels with.
import { RpcCode, RpcError } from '../errors.js';
import type { ToolRegistry } from '../registry.js';
import type { ToolRunner } from '../toolRunner.js';
import type { Tool } from '../types.js';
import type { RequestInfo } from './caller.js';
import type { Classified, RequestId } from './classify.js';
import { isHandshakeVersion, LATEST_HANDSHAKE_VERSION, META, STATELESS_VERSIONS } from './versions.js';

export interface ServerIdentity {
  name: string;
  version: string;
  title?: string;
  instructions?: string;
}

export interface DispatchOutcome {
  status: number;
  /** absent for notifications (HTTP 202, empty body) */
  body?: Record<string, unknown>;
}

export const DEFAULT_PAGE_SIZE = 100;

/** Method registries per era: a method outside its era's registry is "Method not found". */
const HANDSHAKE_METHODS = new Set(['initialize', 'ping', 'tools/list', 'tools/call']);
const STATELESS_METHODS = new Set(['server/discover', 'tools/list', 'tools/call']);

export class McpDispatcher {
  constructor(
    private readonly identity: ServerIdentity,
    private readonly serviceName: string,
    private readonly registry: ToolRegistry,
    private readonly runner: ToolRunner,
    private readonly pageSize = DEFAULT_PAGE_SIZE,
  ) {}

  /** info: who the call is for and its request id, as the gateway's headers said (tools/call passes them on). */
  async dispatch(c: Classified, signal?: AbortSignal, info?: RequestInfo): Promise<DispatchOutcome> {
    const { message } = c;
    if (message.id === undefined) return { status: 202 };
    const id = message.id;
    const registry = c.era === 'stateless' ? STATELESS_METHODS : HANDSHAKE_METHODS;
    if (!registry.has(message.method)) {
      // The 2026-07-28 ladder answers an unknown method at the HTTP layer (404); 2025-era errors stay in-band.
      return this.error(
        id,
        new RpcError(RpcCode.MethodNotFound, `Method not found: ${message.method}`),
        c.era === 'stateless' ? 404 : 200,
      );
    }
    try {
      const result = await this.handle(c, signal, info);
      if (c.era === 'stateless') {
        result['resultType'] = 'complete';
        result['_meta'] = { ...(result['_meta'] as object), [META.serverInfo]: this.serverInfo() };
      }
      return { status: 200, body: { jsonrpc: '2.0', id, result } };
    } catch (err) {
      if (err instanceof RpcError) return this.error(id, err, 200);
      throw err;
    }
  }

  private async handle(c: Classified, signal?: AbortSignal, info?: RequestInfo): Promise<Record<string, unknown>> {
    const p = c.message.params;
    switch (c.message.method) {
      case 'initialize':
        return this.initialize(p);
      case 'ping':
        return {};
      case 'server/discover':
        return {
          supportedVersions: [...STATELESS_VERSIONS],
          capabilities: this.capabilities(),
          ...(this.identity.instructions ? { instructions: this.identity.instructions } : {}),
        };
      case 'tools/list':
        return this.listTools(p, c.era === 'stateless');
      case 'tools/call':
        return this.callTool(p, signal, info);
      default:
        throw new RpcError(RpcCode.MethodNotFound, `Method not found: ${c.message.method}`);
    }
  }

  private initialize(p: Record<string, unknown>): Record<string, unknown> {
    const requested = p['protocolVersion'];
    if (typeof requested !== 'string') {
      throw new RpcError(RpcCode.InvalidParams, 'initialize: params.protocolVersion must be a string');
    }
    return {
      protocolVersion: isHandshakeVersion(requested) ? requested : LATEST_HANDSHAKE_VERSION,
      capabilities: this.capabilities(),
      serverInfo: this.serverInfo(),
      ...(this.identity.instructions ? { instructions: this.identity.instructions } : {}),
    };
  }

  private capabilities(): Record<string, unknown> {
    return { tools: { listChanged: false } };
  }

  private serverInfo(): Record<string, unknown> {
    return {
      name: this.identity.name,
      version: this.identity.version,
      ...(this.identity.title ? { title: this.identity.title } : {}),
    };
  }

  private listTools(p: Record<string, unknown>, stateless: boolean): Record<string, unknown> {
    const all = this.registry.list();
    const start = decodeCursor(p['cursor'], this.registry.version, all.length);
    const page = all.slice(start, start + this.pageSize).map(describe);
    const next =
      start + this.pageSize < all.length ? encodeCursor(start + this.pageSize, this.registry.version) : undefined;
    return {
      tools: page,
      ...(next ? { nextCursor: next } : {}),
      // 2026-07-28 list results carry cache hints; tools.yaml can change at any time, so nothing is cached.
      ...(stateless ? { ttlMs: 0, cacheScope: 'private' } : {}),
    };
  }

  private async callTool(
    p: Record<string, unknown>,
    signal?: AbortSignal,
    info?: RequestInfo,
  ): Promise<Record<string, unknown>> {
    const rawName = p['name'];
    if (typeof rawName !== 'string' || rawName === '') {
      throw new RpcError(RpcCode.InvalidParams, 'tools/call: params.name must be a non-empty string');
    }
    const args = p['arguments'];
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
      throw new RpcError(RpcCode.InvalidParams, 'tools/call: params.arguments must be an object');
    }
    const name = this.localName(rawName);
    const result = name === undefined ? undefined : await this.runner.call(name, args, signal, info);
    if (!result) {
      throw new RpcError(RpcCode.InvalidParams, `Unknown tool: ${rawName}`, 200, { tool: rawName });
    }
    return { ...result };
  }

  /**
   * The gateway forwards `<service>__<tool>`; the dotted `<service>.<tool>` is accepted as an alias (tool
   * names never contain dots, Kubernetes names never contain `_`, so both splits are unambiguous). A prefix naming
   * another service is an unknown tool.
   */
  private localName(raw: string): string | undefined {
    const sep = raw.indexOf('__');
    if (sep > 0) return raw.slice(0, sep) === this.serviceName ? raw.slice(sep + 2) : undefined;
    const dot = raw.indexOf('.');
    if (dot > 0) return raw.slice(0, dot) === this.serviceName ? raw.slice(dot + 1) : undefined;
    return raw;
  }

  private error(id: RequestId, err: RpcError, status: number): DispatchOutcome {
    return {
      status,
      body: {
        jsonrpc: '2.0',
        id,
        error: { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) },
      },
    };
  }
}

function describe(t: Tool): Record<string, unknown> {
  return {
    name: t.name,
    ...(t.title ? { title: t.title } : {}),
    description: t.description,
    inputSchema: t.inputSchema,
    annotations: t.annotations,
  };
}

function encodeCursor(offset: number, version: string): string {
  return Buffer.from(JSON.stringify({ o: offset, v: version })).toString('base64url');
}

function decodeCursor(cursor: unknown, version: string, total: number): number {
  if (cursor === undefined) return 0;
  if (typeof cursor !== 'string') throw new RpcError(RpcCode.InvalidParams, 'tools/list: cursor must be a string');
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; v?: unknown };
    if (typeof c.o === 'number' && Number.isInteger(c.o) && c.o >= 0 && c.o <= total && c.v === version) return c.o;
  } catch {
    // fall through to the error below
  }
  throw new RpcError(RpcCode.InvalidParams, 'tools/list: invalid or expired cursor; list again from the start');
}
