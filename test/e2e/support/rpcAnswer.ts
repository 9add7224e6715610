// The JSON-RPC answer in an MCP POST's body, whether the server answered application/json or an SSE stream (the
// first `data:` message with an id; notifications and requests before it are skipped). undefined for no body.
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
