// One timed MCP POST over a keep-alive agent (http or https), shared by the sidecar and end-to-end benchmarks.
import type http from 'node:http';
import type https from 'node:https';

export interface Target {
  module: typeof http | typeof https;
  options: http.RequestOptions | https.RequestOptions;
}

export const toolCallBody = (name: string, id: number, args: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** Resolves with the round trip in ms when `accepted(status, text)` holds; rejects with the answer otherwise. */
export function timedPost(
  t: Target,
  payload: string,
  accepted: (status: number | undefined, text: string) => boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = t.module.request(
      {
        ...t.options,
        method: 'POST',
        path: '/mcp',
        headers: {
          ...t.options.headers,
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          if (accepted(res.statusCode, text)) resolve(performance.now() - t0);
          else reject(new Error(`unexpected answer ${res.statusCode}: ${text.slice(0, 300)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
