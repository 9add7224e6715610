// Who is calling: tries the configured identity sources in order (mTLS peer URI SAN, JWT claims jwt_authn left in
// metadata, an API key, from its header or `Authorization: Bearer`, compared by SHA-256) and fills an Identity; the
// first source that yields a principal wins.

import { getProperty, HostBytes, propertyPath, release } from './abi';
import { ApiKey, IdentityKind, IdentitySource } from './configTypes';
import { hexValue } from './jsonString';
import { Identity } from './policy';

/** Longest principal, group or scope accepted from a token; longer values are ignored (principal: no identity). */
export const MAX_CLAIM_BYTES: i32 = 256;
/** Most groups or scopes taken from one token. */
export const MAX_CLAIM_VALUES: i32 = 64;

const scratch = new HostBytes();

/** Claim values skipped since the last take: not text (Envoy hands a non-string list item over as binary). */
let skipped: i32 = 0;

/** The count of claim values skipped since the last call, which resets it. */
export function takeSkippedClaims(): i32 {
  const n = skipped;
  skipped = 0;
  return n;
}

/**
 * Whether the n bytes at p are text a claim can hold: well-formed UTF-8 without control characters. A JWT claim's
 * number, boolean or object reaches the filter as Envoy's binary serialization (a double is 8 raw bytes), which
 * this refuses, so such a value is skipped, never taken as a group or forwarded as bytes.
 */
export function isText(p: usize, n: i32): bool {
  let i = 0;
  while (i < n) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return false;
      i++;
      continue;
    }
    let more = 0;
    let lo: u32 = 0x80;
    let hi: u32 = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0)
        lo = 0xa0; // no overlong forms
      else if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return false;
    if (i + more >= n) return false;
    const c1 = <u32>load<u8>(p + <usize>(i + 1));
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= more; k++) {
      const ck = <u32>load<u8>(p + <usize>(i + k));
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += more + 1;
  }
  return true;
}

/** Adds the n bytes at p to out as one value when they are text within the limits; counts a value that is not text. */
function addValue(p: usize, n: i32, out: string[]): void {
  if (n <= 0 || n > MAX_CLAIM_BYTES || out.length >= MAX_CLAIM_VALUES) return;
  if (!isText(p, n)) {
    skipped++;
    return;
  }
  out.push(String.UTF8.decodeUnsafe(p, <usize>n));
}

/**
 * Whether the bytes are Envoy's serialization of a list (pairs whose keys are the items and whose values are empty)
 * rather than a raw string: the count, the lengths and the NULs must account for every byte exactly.
 */
function pairsItems(p: usize, n: i32, out: string[]): bool {
  if (n < 4) return false;
  const count = <i32>load<u32>(p);
  if (count < 0 || count > 4096 || 4 + count * 8 > n) return false;
  let size = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const kl = <i32>load<u32>(p + 4 + <usize>i * 8);
    const vl = <i32>load<u32>(p + 8 + <usize>i * 8);
    if (kl < 0 || vl < 0 || kl > n || vl > n) return false;
    size += kl + vl + 2;
    if (size > n) return false;
  }
  if (size !== n) return false;
  let data = p + 4 + <usize>count * 8;
  for (let i = 0; i < count; i++) {
    const kl = <usize>load<u32>(p + 4 + <usize>i * 8);
    const vl = <usize>load<u32>(p + 8 + <usize>i * 8);
    if (load<u8>(data + kl) !== 0 || load<u8>(data + kl + 1 + vl) !== 0) return false;
    data += kl + vl + 2;
  }
  data = p + 4 + <usize>count * 8;
  for (let i = 0; i < count; i++) {
    const kl = <usize>load<u32>(p + 4 + <usize>i * 8);
    const vl = <usize>load<u32>(p + 8 + <usize>i * 8);
    addValue(data, <i32>kl, out);
    data += kl + vl + 2;
  }
  return true;
}

/** A claim's values: a list claim's items, or a string claim (split on spaces when `spaces`). */
export function claimValues(p: usize, n: i32, spaces: bool, out: string[]): void {
  if (n <= 0 || pairsItems(p, n, out)) return;
  if (!spaces) {
    addValue(p, n, out);
    return;
  }
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && load<u8>(p + <usize>i) !== 0x20) continue;
    addValue(p + <usize>start, i - start, out);
    start = i + 1;
  }
}

/** Text, bounded: a principal that is neither (a numeric sub arrives as binary) cannot name a caller. */
function plausiblePrincipal(p: usize, n: i32): bool {
  return n > 0 && n <= MAX_CLAIM_BYTES && isText(p, n);
}

const item = memory.data(MAX_CLAIM_BYTES);

/**
 * Decodes a value the gateway %-encoded into an x-meshmcp-* header (gateway.ts headerSafe) into out: one item, or
 * with list the items between commas. False when a character is neither ASCII nor a %XX escape, an item is not text
 * of 1 to MAX_CLAIM_BYTES bytes, or there are more than MAX_CLAIM_VALUES: a delegate key names no caller the gateway
 * could not have named itself.
 */
export function percentDecoded(s: string, list: bool, out: string[]): bool {
  const n = s.length;
  let o = 0;
  for (let i = 0; i <= n; i++) {
    let c = i < n ? s.charCodeAt(i) : -1;
    if (c < 0 || (list && c === 0x2c)) {
      if (out.length >= MAX_CLAIM_VALUES || !plausiblePrincipal(item, o)) return false;
      out.push(String.UTF8.decodeUnsafe(item, <usize>o));
      o = 0;
      continue;
    }
    if (c === 0x25) {
      if (i + 2 >= n) return false;
      c = 0;
      for (let k = 0; k < 2; k++) {
        const d = hexValue(s.charCodeAt(++i));
        if (d < 0) return false;
        c = (c << 4) | d;
      }
    }
    if (c > 0xff || o === MAX_CLAIM_BYTES) return false;
    store<u8>(item + <usize>o, <u8>c);
    o++;
  }
  return true;
}

/** The encoded property paths of one source, built once per configuration. */
export class SourcePaths {
  principal: ArrayBuffer = new ArrayBuffer(0);
  groups: ArrayBuffer[] = [];
  scope: ArrayBuffer = new ArrayBuffer(0);
}

export const SAN_PATH = propertyPath(['connection', 'uri_san_peer_certificate']);

function jwtPath(source: IdentitySource, claim: string): ArrayBuffer {
  const path = ['metadata', 'filter_metadata', 'envoy.filters.http.jwt_authn', source.metadataKey];
  const parts = claim.split('.');
  for (let i = 0; i < parts.length; i++) path.push(parts[i]);
  return propertyPath(path);
}

export function sourcePaths(source: IdentitySource): SourcePaths {
  const out = new SourcePaths();
  if (source.kind !== IdentityKind.Jwt) return out;
  out.principal = jwtPath(source, source.principalClaim);
  for (let i = 0; i < source.groupsClaims.length; i++) out.groups.push(jwtPath(source, source.groupsClaims[i]));
  out.scope = jwtPath(source, source.scopeClaim);
  return out;
}

function fromMtls(source: IdentitySource, out: Identity): bool {
  if (!getProperty(SAN_PATH, scratch)) return false;
  let ok = plausiblePrincipal(scratch.ptr, scratch.len);
  if (ok) {
    const san = String.UTF8.decodeUnsafe(scratch.ptr, <usize>scratch.len);
    ok = san.startsWith(source.sanPrefix);
    if (ok) {
      out.principal = san;
      out.source = 'mtls';
    }
  }
  release(scratch);
  return ok;
}

function fromJwt(paths: SourcePaths, out: Identity): bool {
  if (!getProperty(paths.principal, scratch)) return false;
  const ok = plausiblePrincipal(scratch.ptr, scratch.len);
  if (ok) out.principal = String.UTF8.decodeUnsafe(scratch.ptr, <usize>scratch.len);
  release(scratch);
  if (!ok) return false;
  out.source = 'jwt';
  for (let i = 0; i < paths.groups.length; i++) {
    if (!getProperty(paths.groups[i], scratch)) continue;
    claimValues(scratch.ptr, scratch.len, false, out.groups);
    release(scratch);
  }
  if (getProperty(paths.scope, scratch)) {
    claimValues(scratch.ptr, scratch.len, true, out.scopes);
    release(scratch);
  }
  return true;
}

function fromApiKey(digest: string | null, keys: Map<string, ApiKey>, out: Identity): bool {
  if (digest == null || !keys.has(digest)) return false;
  const key = keys.get(digest);
  out.principal = key.principal;
  out.groups = key.groups.slice(0);
  out.source = 'apiKey';
  out.delegate = key.delegate;
  return true;
}

/**
 * Fills out from the first source that names the caller; false when none does (the caller gets 401). keyDigest is
 * the SHA-256 of the API key (header value, or Bearer token when the source allows it), null when there is none.
 */
export function resolveIdentity(
  sources: IdentitySource[],
  paths: SourcePaths[],
  keys: Map<string, ApiKey>,
  keyDigest: string | null,
  out: Identity,
): bool {
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i];
    let found = false;
    if (s.kind === IdentityKind.Mtls) found = fromMtls(s, out);
    else if (s.kind === IdentityKind.Jwt) found = fromJwt(paths[i], out);
    else found = fromApiKey(keyDigest, keys, out);
    if (found) return true;
  }
  return false;
}
