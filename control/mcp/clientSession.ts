// The session id a 2025-11-25 client gets from the aggregated /mcp at initialize, `c1.<letters>.<32 hex>`, the
// letters being the client capabilities it declared that a server may ask of it (shared/clientSessions.ts). Nothing
// is stored (contract 5): any control replica accepts any such id, and the id is what tells a server behind a bridge
// (sidecar/README.md, Bridge mode) what it may ask this client, the gateway passing it on with the client's requests.
// A client that writes its own only changes what it says of itself.

import { randomBytes } from 'node:crypto';
import { mintClientSession } from '../../shared/clientSessions.js';
import { isObject } from '../../shared/json.js';

/**
 * The capabilities a 2025-11-25 initialize request declared (a body without the 2026-07-28 `_meta` envelope), or
 * undefined for any other body.
 */
export function initializeCapabilities(body: Buffer): Record<string, unknown> | undefined {
  // Only an initialize is worth a second parse (the SDK parses every body itself). A JSON string equal to
  // "initialize" holds those bytes, or a \u escape: no other escape can spell one of its letters.
  if (!body.includes('initialize') && !body.includes('\\u')) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(message) || message['method'] !== 'initialize') return undefined;
  const params = isObject(message['params']) ? message['params'] : {};
  const meta = isObject(params['_meta']) ? params['_meta'] : {};
  if ('io.modelcontextprotocol/protocolVersion' in meta) return undefined;
  return isObject(params['capabilities']) ? params['capabilities'] : {};
}

/** The response to an initialize, with a session id for those capabilities (the SDK gives none: no sessions here). */
export function withClientSession(response: Response, capabilities: Record<string, unknown>): Response {
  if (response.status !== 200 || response.headers.has('mcp-session-id')) return response;
  const headers = new Headers(response.headers);
  headers.set('mcp-session-id', mintClientSession(capabilities, randomBytes(16)));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
