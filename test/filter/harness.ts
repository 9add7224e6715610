// Drives the release build of meshmcp.wasm (filter/build/meshmcp.wasm, made by `npm run build:filter`) through the
// Envoy-faithful host: configurations from filter/examples, MCP requests, and readers for replies and audit lines.

import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createPlugin,
  type Plugin,
  type PluginOptions,
  type PropertyMap,
  type StreamInput,
  type StreamResult,
} from '../../filter/host/index.js';
import { ROOT } from '../support/cli.js';

export const WASM_PATH = join(ROOT, 'filter/build/meshmcp.wasm');

export function filterWasm(): Uint8Array {
  if (!existsSync(WASM_PATH)) throw new Error(`${WASM_PATH} is missing: run \`npm run build:filter\` first`);
  return readFileSync(WASM_PATH);
}

export type Json = any;

export function example(mode: 'gateway' | 'sidecar'): Json {
  return JSON.parse(readFileSync(join(ROOT, `filter/examples/${mode}.json`), 'utf8'));
}

/** The API key whose SHA-256 the gateway example lists (principal ci-bot, group sre-readonly). */
export const EXAMPLE_KEY = 'test';

/** Two callers of the same group (sre) by API key, for what the gateway binds to its caller: ada and bob. */
export const ADA_KEY = 'key-admin-000001';
export const BOB_KEY = 'key-other-000002';
/** Session keys of MESHMCP_SESSION_KEYS (at least 32 bytes each). */
export const SESSION_KEY_A = 'a'.repeat(40);
export const SESSION_KEY_B = 'b'.repeat(48);

/**
 * A task id as the gateway hands it out to `principal` (filter/assembly/taskIds.ts): `t1.<service>.<mac>.<id>`, the
 * mac the first 128 bits of HMAC-SHA256 under `key`, empty without one.
 */
export const handedOutTaskId = (key: string | null, principal: string, service: string, id: string): string =>
  `t1.${service}.${key === null ? '' : createHmac('sha256', key).update(`${principal}\n${service}\ntask\n${id}`).digest('hex').slice(0, 32)}.${id}`;

/** The configuration with ada and bob (ADA_KEY, BOB_KEY in x-api-key) as its only identity source. */
export function adaAndBob(c: Json): Json {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  c.identity = [
    {
      apiKey: {
        header: 'x-api-key',
        keys: [
          { sha256: sha(ADA_KEY), principal: 'ada', groups: ['sre'] },
          { sha256: sha(BOB_KEY), principal: 'bob', groups: ['sre'] },
        ],
      },
    },
  ];
  return c;
}

/** A fake clock the filter reads through proxy_get_current_time_nanoseconds; tests move it explicitly. */
export class Clock {
  ns = 1_790_000_000_000_000_000n;
  advance(ms: number): void {
    this.ns += BigInt(Math.round(ms * 1e6));
  }
}

export async function gateway(config: Json = example('gateway'), options: PluginOptions = {}): Promise<Plugin> {
  return createPlugin(filterWasm(), JSON.stringify(config), { allowOnHeadersStopIteration: true, ...options });
}

let nextId = 1;

export function rpc(method: string, params?: Json, id: Json = nextId++): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
}

export function toolsCall(name: string, args: Json = {}): string {
  return rpc('tools/call', { name, arguments: args });
}

export interface CallOptions {
  headers?: Record<string, string>;
  properties?: PropertyMap;
  upstream?: StreamInput['upstream'];
  /** Body chunks, to show buffering; the body in one piece when absent. */
  chunks?: string[];
}

export function post(plugin: Plugin, body: string | Uint8Array, options: CallOptions = {}): StreamResult {
  return plugin.runStream({
    request: {
      headers: {
        ':method': 'POST',
        ':path': '/mcp',
        ':authority': 'mcp.example.com',
        ':scheme': 'https',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'x-request-id': 'req-1',
        ...options.headers,
      },
      body: options.chunks ?? body,
    },
    properties: options.properties,
    upstream:
      options.upstream ??
      (() => ({
        headers: { ':status': '200', 'content-type': 'application/json' },
        body: '{"jsonrpc":"2.0","id":1,"result":{}}',
      })),
  });
}

export const withKey = (key = EXAMPLE_KEY): CallOptions => ({ headers: { 'x-api-key': key } });

/** JWT claims as Envoy's jwt_authn leaves them (payload_in_metadata "payload"). */
export function jwt(claims: Record<string, unknown>): PropertyMap {
  return { metadata: { filter_metadata: { 'envoy.filters.http.jwt_authn': { payload: claims as PropertyMap } } } };
}

export function mtls(san: string): PropertyMap {
  return { connection: { uri_san_peer_certificate: san } };
}

export function header(
  result: StreamResult,
  name: string,
  from: 'forwarded' | 'response' = 'forwarded',
): string | undefined {
  const pairs = from === 'forwarded' ? result.forwarded?.headers : result.response?.headers;
  return pairs?.find(([k]) => k.toLowerCase() === name)?.[1];
}

export function replyJson(result: StreamResult): Json {
  const body = result.response?.body;
  if (!body) throw new Error('no response body');
  return JSON.parse(Buffer.from(body).toString('utf8'));
}

/** Parsed audit lines written so far. */
export function auditLines(plugin: Plugin): Json[] {
  return plugin.logs.filter((l) => l.message.includes('"kind":"mcp_audit"')).map((l) => JSON.parse(l.message));
}

/**
 * Each way of taking out of a forwarded body the trace the gateway may have added to params._meta (a whole
 * `"_meta":{"traceparent":…}`, or a `"traceparent":…` member of the client's _meta), given the traceparent header it
 * sent along. One of them is the message as it came (which one, a body alone cannot always tell: `"_meta":{}` grown
 * a member reads like a _meta added whole).
 */
export function traceRemovals(text: string, traceparent: string | undefined): string[] {
  if (traceparent === undefined) return [text];
  const member = `"traceparent":"${traceparent}"`;
  const out: string[] = [];
  for (const added of [`"_meta":{${member}},`, `"_meta":{${member}}`, `,${member}`, `${member},`, member]) {
    if (text.includes(added)) out.push(text.replace(added, ''));
  }
  return out.length > 0 ? out : [text];
}

/** The forwarded body without the gateway's trace, taking the first reading of traceRemovals. */
export function withoutTrace(text: string, traceparent: string | undefined): string {
  return traceRemovals(text, traceparent)[0]!;
}
