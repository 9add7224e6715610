// The request headers the filter needs, read in one pass over the serialized header map in on_request_headers:
// one host call instead of one per header, and the names of client-supplied x-meshmcp-* headers to remove.

import { headerPairs, HostBytes, release, REQUEST_HEADERS } from './abi';
import { isText } from './identity';
import { sha256Hex } from './sha256';
import { enter, IDENTITY, leave } from './profile';

const pairs = new HostBytes();
const PREFIX = 'x-meshmcp-';

/**
 * Longest API key hashed (config.schema.json apiKeySource): a longer one is refused as unauthenticated unhashed, so an
 * unauthenticated caller cannot make the filter hash kilobytes per request.
 */
export const MAX_API_KEY_BYTES: i32 = 256;
/** apiKeyDigest of a key past MAX_API_KEY_BYTES: no configured digest (64 hex digits) can equal it. */
export const KEY_TOO_LONG = 'too-long';

function keyDigest(p: usize, n: i32): string {
  return n > MAX_API_KEY_BYTES ? KEY_TOO_LONG : sha256Hex(p, n);
}

export class RequestHeaders {
  method: string | null = null;
  path: string | null = null;
  requestId: string | null = null;
  contentLength: string | null = null;
  mcpMethod: string | null = null;
  mcpName: string | null = null;
  mcpVersion: string | null = null;
  /**
   * SHA-256 (hex) of the API key: the configured header's raw value or, failing that and when bearer is on, the
   * token of `Authorization: Bearer <token>`; KEY_TOO_LONG for a key past MAX_API_KEY_BYTES, which is not hashed.
   * The key itself is never kept.
   */
  apiKeyDigest: string | null = null;
  /** Whether apiKeyDigest came from Authorization (so that is the header to strip). */
  apiKeyFromAuthorization: bool = false;
  /** The value of audit.onBehalfOfHeader, when configured, present, text and at most MAX_ON_BEHALF_BYTES. */
  onBehalfOf: string | null = null;
  /** The gateway's x-meshmcp-principal / -request-id (read in sidecar mode). */
  meshPrincipal: string | null = null;
  meshRequestId: string | null = null;
  /**
   * x-caller-principal / x-caller-groups: the caller a delegate key acts for, %-encoded as the gateway writes
   * x-meshmcp-principal / -groups. Not x-meshmcp-* names: Istio's RBAC refuses those at the gateway (contract 3).
   */
  callerPrincipal: string | null = null;
  callerGroups: string | null = null;
  /** Mcp-Session-Id, as sent. */
  sessionId: string | null = null;
  /** The W3C traceparent header, as sent. */
  traceparent: string | null = null;
  /** Names of the x-meshmcp-* and x-caller-* headers present, in the case they were sent (gateway mode removes them). */
  internal: string[] = [];
}

/** Whether the k bytes at p equal name (lower-case ASCII), ignoring their case (Envoy lower-cases header names; the
 * host may not; host values come in any case). */
export function nameIs(p: usize, k: i32, name: string): bool {
  if (k !== name.length) return false;
  for (let i = 0; i < k; i++) {
    let c = <u32>load<u8>(p + <usize>i);
    if (c - 0x41 < 26) c += 32;
    if (c !== <u32>name.charCodeAt(i)) return false;
  }
  return true;
}

function startsWithPrefix(p: usize, k: i32): bool {
  if (k < PREFIX.length) return false;
  for (let i = 0; i < PREFIX.length; i++) {
    let c = <u32>load<u8>(p + <usize>i);
    if (c - 0x41 < 26) c += 32;
    if (c !== <u32>PREFIX.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Where the token of an RFC 6750 `Bearer <token>` credential starts in the vl bytes at vp (scheme matched without
 * regard to case, then one or more spaces); -1 when the value is another scheme or has no token.
 */
function bearerToken(vp: usize, vl: i32): i32 {
  if (vl < 8 || !nameIs(vp, 6, 'bearer') || load<u8>(vp + 6) !== 0x20) return -1;
  let i = 7;
  while (i < vl && load<u8>(vp + <usize>i) === 0x20) i++;
  return i < vl ? i : -1;
}

/**
 * Fills out from the request header map; apiKeyHeader is the configured key header (lower case), or empty; bearer
 * also reads `Authorization: Bearer <key>`, which counts only when the key header is absent.
 */
/** Longest on-behalf-of value recorded; a longer (or non-text) one is not recorded. */
export const MAX_ON_BEHALF_BYTES: i32 = 256;

export function readRequestHeaders(
  apiKeyHeader: string,
  out: RequestHeaders,
  bearer: bool = false,
  onBehalfHeader: string = '',
): void {
  if (!headerPairs(REQUEST_HEADERS, pairs)) return;
  const base = pairs.ptr;
  const size = pairs.len;
  if (base === 0 || size < 4) {
    release(pairs);
    return;
  }
  const count = <i32>load<u32>(base);
  let data = base + 4 + <usize>count * 8;
  const end = base + <usize>size;
  // The first Bearer token, hashed after the pass and only if the key header never showed up.
  let tokenAt: usize = 0;
  let tokenLen = 0;
  for (let i = 0; i < count; i++) {
    const kl = <i32>load<u32>(base + 4 + <usize>i * 8);
    const vl = <i32>load<u32>(base + 8 + <usize>i * 8);
    if (data + <usize>kl + <usize>vl + 2 > end) break;
    const vp = data + <usize>kl + 1;
    const c0 = <u32>load<u8>(data);
    // The first byte narrows the names worth comparing.
    if (c0 === 0x3a) {
      if (nameIs(data, kl, ':method')) out.method = String.UTF8.decodeUnsafe(vp, <usize>vl);
      else if (nameIs(data, kl, ':path')) out.path = String.UTF8.decodeUnsafe(vp, <usize>vl);
    } else if (c0 === 0x78 || c0 === 0x58) {
      if (startsWithPrefix(data, kl)) {
        const name = String.UTF8.decodeUnsafe(data, <usize>kl);
        out.internal.push(name);
        if (nameIs(data, kl, 'x-meshmcp-principal')) out.meshPrincipal = String.UTF8.decodeUnsafe(vp, <usize>vl);
        else if (nameIs(data, kl, 'x-meshmcp-request-id')) out.meshRequestId = String.UTF8.decodeUnsafe(vp, <usize>vl);
      } else if (nameIs(data, kl, 'x-request-id')) out.requestId = String.UTF8.decodeUnsafe(vp, <usize>vl);
      else {
        const principal = nameIs(data, kl, 'x-caller-principal');
        if (principal || nameIs(data, kl, 'x-caller-groups')) {
          out.internal.push(String.UTF8.decodeUnsafe(data, <usize>kl));
          const v = String.UTF8.decodeUnsafe(vp, <usize>vl);
          if (principal) out.callerPrincipal = v;
          else out.callerGroups = v;
        }
      }
    } else if (c0 === 0x6d || c0 === 0x4d) {
      if (nameIs(data, kl, 'mcp-method')) out.mcpMethod = String.UTF8.decodeUnsafe(vp, <usize>vl);
      else if (nameIs(data, kl, 'mcp-name')) out.mcpName = String.UTF8.decodeUnsafe(vp, <usize>vl);
      else if (nameIs(data, kl, 'mcp-protocol-version')) out.mcpVersion = String.UTF8.decodeUnsafe(vp, <usize>vl);
      else if (nameIs(data, kl, 'mcp-session-id')) out.sessionId = String.UTF8.decodeUnsafe(vp, <usize>vl);
    } else if (c0 === 0x63 || c0 === 0x43) {
      if (nameIs(data, kl, 'content-length')) out.contentLength = String.UTF8.decodeUnsafe(vp, <usize>vl);
    } else if (c0 === 0x74 || c0 === 0x54) {
      if (vl === 55 && nameIs(data, kl, 'traceparent')) out.traceparent = String.UTF8.decodeUnsafe(vp, <usize>vl);
    } else if (bearer && tokenAt === 0 && (c0 === 0x61 || c0 === 0x41) && nameIs(data, kl, 'authorization')) {
      const at = bearerToken(vp, vl);
      if (at > 0) {
        tokenAt = vp + <usize>at;
        tokenLen = vl - at;
      }
    }
    if (onBehalfHeader.length > 0 && out.onBehalfOf == null && nameIs(data, kl, onBehalfHeader)) {
      if (vl > 0 && vl <= MAX_ON_BEHALF_BYTES && isText(vp, vl))
        out.onBehalfOf = String.UTF8.decodeUnsafe(vp, <usize>vl);
    }
    if (apiKeyHeader.length > 0 && out.apiKeyDigest == null && nameIs(data, kl, apiKeyHeader)) {
      enter(IDENTITY);
      out.apiKeyDigest = keyDigest(vp, vl);
      leave();
    }
    data += <usize>kl + <usize>vl + 2;
  }
  if (out.apiKeyDigest == null && tokenAt !== 0) {
    enter(IDENTITY);
    out.apiKeyDigest = keyDigest(tokenAt, tokenLen);
    leave();
    out.apiKeyFromAuthorization = true;
  }
  release(pairs);
}
