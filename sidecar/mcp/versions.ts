// MCP protocol revisions the sidecar serves, and the reserved _meta keys of the 2026-07-28 envelope.

/** 2025-era revisions: initialize handshake, no per-request envelope. Newest first. */
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'] as const;
/** Stateless revisions: every request carries its version and capabilities in params._meta. */
export const MODERN_VERSIONS = ['2026-07-28'] as const;

export const LATEST_LEGACY = LEGACY_VERSIONS[0];

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

export function isLegacyVersion(v: string): boolean {
  return (LEGACY_VERSIONS as readonly string[]).includes(v);
}

export function isModernVersion(v: string): boolean {
  return (MODERN_VERSIONS as readonly string[]).includes(v);
}
