// MCP calls through the meshmcp gateway on behalf of a tool's caller: the pack's delegate API key, plus the caller the
// gateway named for this call (x-caller-principal / x-caller-groups), so the gateway grants only what the caller and
// the key may both do. Stateless JSON-RPC at MCP 2025-11-25 (no initialize: the control service and the sidecars
// serve each POST on its own), through ctx.http, whose allow-list holds the gateway's host and nothing further.
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ToolError } from '../errors.js';
import { callerHeaders } from '../mcp/caller.js';
import { formatBytes } from '../toolSupport.js';
import type { Caller, HttpResponse, ToolContext } from '../types.js';

export const PROTOCOL_VERSION = '2025-11-25';
/** Where the key comes from when no --gateway-key-file is set. */
export const KEY_ENV = 'MESHMCP_GATEWAY_KEY';
/** A key file holds one key (at most 256 bytes, the filter's bound) and perhaps a newline. */
const MAX_KEY_FILE_BYTES = 4096;
const KEY = /^[\x21-\x7e]{1,256}$/;
/** tools/list pages read at most (the control service pages by 200). */
const MAX_PAGES = 50;

export interface RpcAnswer {
  /** the HTTP status */
  status: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  /** Retry-After of a 429 */
  retryAfter?: string;
}

export interface ListedTool {
  name: string;
  inputSchema?: { properties?: Record<string, unknown> };
}

const SETUP =
  'set --gateway-url / MESHMCP_GATEWAY_URL to the gateway’s MCP endpoint and give the pack a delegate key ' +
  '(--gateway-key-file / MESHMCP_GATEWAY_KEY_FILE, or MESHMCP_GATEWAY_KEY) that the gateway lists with delegate: true';

/** The key file's one key; the file is bounded and must be a regular file. Its content never appears in an error. */
async function readKeyFile(file: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new ToolError(`cannot open the gateway key file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ToolError(`the gateway key file ${file} is not a regular file`);
    if (st.size > MAX_KEY_FILE_BYTES) {
      throw new ToolError(`the gateway key file ${file} is over ${formatBytes(MAX_KEY_FILE_BYTES)}: it holds one key`);
    }
    const buf = Buffer.alloc(MAX_KEY_FILE_BYTES);
    const { bytesRead } = await handle.read(buf, 0, MAX_KEY_FILE_BYTES, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function delegateKey(ctx: ToolContext): Promise<string> {
  const file = ctx.settings.gatewayKeyFile;
  const raw = file ? await readKeyFile(file) : ctx.env[KEY_ENV];
  const where = file ? `the gateway key file ${file}` : KEY_ENV;
  if (raw === undefined || raw.trim() === '') throw new ToolError(`no delegate key in ${where}: ${SETUP}`);
  const key = raw.trim();
  if (!KEY.test(key)) {
    throw new ToolError(`${where} holds no API key (printable characters without spaces, at most 256)`);
  }
  return key;
}

/** One message of an answer: a JSON body, or the response with this id among the events of an SSE stream. */
function answerMessage(res: HttpResponse, id: number): Record<string, unknown> | undefined {
  const type = String(res.headers['content-type'] ?? '');
  const candidates: string[] = [];
  if (type.startsWith('text/event-stream')) {
    for (const event of res.body.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''));
      if (data.length) candidates.push(data.join('\n'));
    }
  } else candidates.push(res.body);
  for (const c of candidates) {
    try {
      const m = JSON.parse(c) as Record<string, unknown>;
      if (m && typeof m === 'object' && m['id'] === id && ('result' in m || 'error' in m)) return m;
    } catch {
      // Not JSON (Envoy's own plain text, or an event that is not a message): the status speaks instead.
    }
  }
  return undefined;
}

export class DelegateClient {
  private seq = 0;

  private constructor(
    private readonly ctx: ToolContext,
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** A client for this call's caller; a ToolError naming the fix when there is no caller, gateway or key. */
  static async forCaller(ctx: ToolContext, tool: string): Promise<DelegateClient> {
    const caller: Readonly<Caller> | undefined = ctx.caller;
    if (!caller) {
      throw new ToolError(
        `${tool} acts for its caller, and this call names none: call it through the meshmcp gateway ` +
          `(as ${ctx.settings.serviceName}__${tool}), which names the caller; the pack's own port does not`,
      );
    }
    const url = ctx.settings.gatewayUrl;
    if (!url) throw new ToolError(`${tool} needs the meshmcp gateway: ${SETUP}`);
    const key = await delegateKey(ctx);
    const header = ctx.settings.gatewayKeyHeader ?? 'authorization';
    return new DelegateClient(ctx, url, {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': PROTOCOL_VERSION,
      [header]: header === 'authorization' ? `Bearer ${key}` : key,
      ...callerHeaders(caller),
    });
  }

  /** One JSON-RPC request; transport failures throw a ToolError saying what failed. */
  async rpc(
    method: string,
    params: Record<string, unknown>,
    opts: { timeoutMs: number; maxBytes: number },
  ): Promise<RpcAnswer> {
    const id = ++this.seq;
    const res = await this.ctx.http.request(this.url, {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
      endpoint: 'gateway',
      signal: this.ctx.signal,
    });
    if (res.truncated) {
      throw new ToolError(`the gateway's answer to ${method} was over ${formatBytes(opts.maxBytes)}; it was not read`);
    }
    const m = answerMessage(res, id);
    const out: RpcAnswer = { status: res.status };
    const retryAfter = res.headers['retry-after'];
    if (typeof retryAfter === 'string') out.retryAfter = retryAfter;
    const error = m?.['error'] as { code?: unknown; message?: unknown } | undefined;
    if (error && typeof error === 'object') {
      out.error = { code: Number(error.code), message: String(error.message ?? '') };
    } else if (m?.['result'] && typeof m['result'] === 'object') {
      out.result = m['result'] as Record<string, unknown>;
    }
    return out;
  }

  /** Every tool the gateway lists for this caller (all pages). */
  async listTools(timeoutMs: () => number): Promise<ListedTool[]> {
    const tools: ListedTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const a = await this.rpc('tools/list', cursor ? { cursor } : {}, { timeoutMs: timeoutMs(), maxBytes: 2 << 20 });
      if (a.status === 401) {
        throw new ToolError(
          'the gateway did not accept the pack’s delegate key (401): check that the key it holds is one the ' +
            'gateway lists with delegate: true, and that --gateway-key-header names the header the gateway reads',
        );
      }
      if (a.error) throw new ToolError(`the gateway refused tools/list (${a.error.code}): ${a.error.message}`);
      if (!a.result) throw new ToolError(`the gateway answered tools/list with HTTP ${a.status} and no MCP result`);
      for (const t of (a.result['tools'] as ListedTool[] | undefined) ?? []) {
        if (t && typeof t.name === 'string') tools.push(t);
      }
      const next = a.result['nextCursor'];
      if (typeof next !== 'string' || next === '') return tools;
      cursor = next;
    }
    throw new ToolError(`the gateway's tool list ran past ${MAX_PAGES} pages`);
  }
}
