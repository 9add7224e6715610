// One timed MCP POST over a keep-alive agent (http or https), shared by the sidecar and end-to-end benchmarks, and
// the JSON-RPC messages of an answer (the bridge suite and the bridge tests read them).
import type http from 'node:http';
import type https from 'node:https';

export interface Target {
  module: typeof http | typeof https;
  options: http.RequestOptions | https.RequestOptions;
}

export const toolCallBody = (name: string, id: number, args: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** The JSON-RPC messages of an MCP POST's answer: its JSON body, or each SSE `data:` message in order. */
// biome-ignore lint/suspicious/noExplicitAny: messages of any shape, read by callers that know what they expect
export function rpcMessages(contentType: string | null | undefined, text: string): any[] {
  if (contentType?.startsWith('application/json')) return [JSON.parse(text)];
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
}

/** A whole answer and its round trip in ms (until its last byte has been read). */
export interface McpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  ms: number;
}

/** One POST of an MCP message to path, resolved with the whole answer. */
export function postAnswer(t: Target, path: string, payload: string, accept = 'application/json'): Promise<McpAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = t.module.request(
      {
        ...t.options,
        method: 'POST',
        path,
        headers: {
          ...t.options.headers,
          'content-type': 'application/json',
          accept,
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, ms: performance.now() - t0 }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Resolves with the round trip in ms when `accepted(status, text)` holds; rejects with the answer otherwise. */
export async function timedPost(
  t: Target,
  payload: string,
  accepted: (status: number | undefined, text: string) => boolean,
): Promise<number> {
  const a = await postAnswer(t, '/mcp', payload);
  if (!accepted(a.status, a.text)) throw new Error(`unexpected answer ${a.status}: ${a.text.slice(0, 300)}`);
  return a.ms;
}
