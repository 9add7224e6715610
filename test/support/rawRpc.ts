// MCP over raw HTTP, for tests that look at the wire: a POST's JSON-RPC answer, and a 2026-07-28 request with its
// revision's headers and envelope.

/** Every JSON-RPC message of an answer, by its Content-Type (the benchmarks read answers the same way). */
export { rpcMessages } from '../../bench/mcpPost.js';

/**
 * The JSON-RPC answer in an MCP POST's body, whether the server answered application/json or an SSE stream (the
 * first `data:` message with an id; notifications and requests before it are skipped). undefined for no body.
 */
export function rpcAnswer(text: string): Record<string, any> | undefined {
  if (text.includes('data: ')) {
    return text
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.length > 6)
      .map((l) => JSON.parse(l.slice(6)))
      .find((m) => m.id !== undefined);
  }
  return text ? JSON.parse(text) : undefined;
}

export interface ModernCall {
  /** Mcp-Name, when the method names something (a tool, a task). */
  name?: string;
  /** The request's client capabilities (its `_meta` envelope member). */
  capabilities?: Record<string, unknown>;
  /** Extra request headers, e.g. credentials. */
  headers?: Record<string, string>;
}

/**
 * One 2026-07-28 JSON-RPC request as raw HTTP, with that revision's headers and `_meta` envelope: the status and the
 * answer (JSON or SSE).
 */
export async function modernRequest(
  url: string,
  method: string,
  params: Record<string, unknown>,
  call: ModernCall = {},
): Promise<{ status: number; body: Record<string, any> | undefined }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(call.name === undefined ? {} : { 'mcp-name': call.name }),
      ...call.headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'meshmcp-test', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': call.capabilities ?? {},
        },
      },
    }),
  });
  return { status: res.status, body: rpcAnswer(await res.text()) };
}
