// The published server-everything ships no type declarations; this is the one entry the tests use (its own
// Streamable HTTP entry point calls it once per session).
declare module '@modelcontextprotocol/server-everything/dist/server/index.js' {
  import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

  export function createServer(): { server: McpServer; cleanup(sessionId?: string): void };
}
