// MCP protocol revisions the sidecar serves, and the reserved _meta keys of the 2026-07-28 envelope.

/** 2025-era revisions: initialize handshake, no per-request envelope. Newest first. */
export const HANDSHAKE_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'] as const;
/** Stateless revisions: every request carries its version and capabilities in params._meta. */
export const STATELESS_VERSIONS = ['2026-07-28'] as const;

export const LATEST_HANDSHAKE_VERSION = HANDSHAKE_VERSIONS[0];

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

export function isHandshakeVersion(v: string): boolean {
  return (HANDSHAKE_VERSIONS as readonly string[]).includes(v);
}

export function isStatelessVersion(v: string): boolean {
  return (STATELESS_VERSIONS as readonly string[]).includes(v);
}
