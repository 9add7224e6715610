// Session ids bound to their caller on /mcp/<service>: the gateway hands a client `m1.<mac>.<the server's id>`, where
// mac is an HMAC-SHA256 (first 128 bits) of the caller's principal, the service and the id under a key from
// MESHMCP_SESSION_KEYS (Envoy passes it to the VM from the gateway's environment). A request carrying a session id
// no key made for this caller and service is refused as an unknown session (404), so a session id is useless to
// anyone else. The first key signs, every key verifies: a new key goes first, the old one stays until its sessions end.

import { envValue, log, LOG_INFO } from './abi';
import { hmacSha256Hex } from './sha256';

export const SESSION_KEYS_ENV = 'MESHMCP_SESSION_KEYS';
const PREFIX = 'm1.';
/** Hex digits of the MAC kept: 128 bits. */
const MAC_HEX: i32 = 32;
/** Shortest key accepted (bytes). */
const MIN_KEY_BYTES: i32 = 32;

/** The keys in MESHMCP_SESSION_KEYS (comma-separated, each at least 32 bytes), read once per configuration. */
export function loadSessionKeys(): ArrayBuffer[] {
  const out = new Array<ArrayBuffer>();
  const value = envValue(SESSION_KEYS_ENV);
  if (value == null) return out;
  const parts = value.split(',');
  let short = 0;
  for (let i = 0; i < parts.length; i++) {
    const k = parts[i].trim();
    if (k.length >= MIN_KEY_BYTES) out.push(String.UTF8.encode(k));
    else if (k.length > 0) short++;
  }
  log(
    LOG_INFO,
    'meshmcp: session ids on /mcp/<service> bound to their caller with ' +
      out.length.toString() +
      ' key(s)' +
      (short > 0 ? '; ' + short.toString() + ' key(s) shorter than 32 bytes ignored' : ''),
  );
  return out;
}

function mac(key: ArrayBuffer, principal: string, service: string, id: string): string {
  return hmacSha256Hex(key, String.UTF8.encode(principal + '\n' + service + '\n' + id)).substring(0, MAC_HEX);
}

/** What the client is given for the server's session id. */
export function sealSession(keys: ArrayBuffer[], principal: string, service: string, id: string): string {
  return PREFIX + mac(keys[0], principal, service, id) + '.' + id;
}

/** The server's session id inside a sealed one, or null when no key sealed it for this caller and service. */
export function openSession(keys: ArrayBuffer[], principal: string, service: string, sealed: string): string | null {
  if (sealed.length <= PREFIX.length + MAC_HEX + 1 || !sealed.startsWith(PREFIX)) return null;
  if (sealed.charCodeAt(PREFIX.length + MAC_HEX) !== 0x2e) return null;
  const given = sealed.substring(PREFIX.length, PREFIX.length + MAC_HEX);
  const id = sealed.substring(PREFIX.length + MAC_HEX + 1);
  for (let i = 0; i < keys.length; i++) {
    if (mac(keys[i], principal, service, id) === given) return id;
  }
  return null;
}
