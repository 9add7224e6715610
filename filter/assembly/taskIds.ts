// Task ids of the 2026-07-28 tasks extension (io.modelcontextprotocol/tasks), as the gateway hands them out:
// `t1.<service>.<mac>.<the server's id>`. The service routes tasks/get, tasks/update and tasks/cancel on the
// aggregated /mcp (the id is all such a request names); the mac, an HMAC-SHA256 (first 128 bits) of the caller's
// principal, the service and the id under a MESHMCP_SESSION_KEYS key, binds the task to the caller that created it,
// so a leaked task id is useless to anyone else. Without keys the mac is empty and the id only routes.

import { hmacSha256Hex } from './sha256';

const PREFIX = 't1.';
/** Hex digits of the MAC kept: 128 bits. */
const MAC_HEX: i32 = 32;
/** Longest server task id wrapped (bytes); a longer one passes as the server wrote it, and cannot be used here. */
export const MAX_TASK_ID: i32 = 256;
/** Longest id the gateway hands out: `t1.`, a service name (63), `.`, the mac, `.`, the server's id. */
export const MAX_HANDED_OUT: i32 = 3 + 63 + 1 + MAC_HEX + 1 + MAX_TASK_ID;

/** Where an opened task id belongs. */
export class TaskTarget {
  service: string = '';
  id: string = '';
}

function mac(key: ArrayBuffer, principal: string, service: string, id: string): string {
  // "task" keeps these MACs apart from session ids' over the same principal, service and id.
  return hmacSha256Hex(key, String.UTF8.encode(principal + '\n' + service + '\ntask\n' + id)).substring(0, MAC_HEX);
}

/** What the client is given in place of the server's task id: the part before the id. */
export function taskIdPrefix(keys: ArrayBuffer[], principal: string, service: string, id: string): string {
  return PREFIX + service + '.' + (keys.length > 0 ? mac(keys[0], principal, service, id) : '') + '.';
}

/** Fills out with the service and the server's id of a task id the gateway gave this caller; false for any other. */
export function openTaskId(keys: ArrayBuffer[], principal: string, sealed: string, out: TaskTarget): bool {
  if (!sealed.startsWith(PREFIX)) return false;
  const dot = sealed.indexOf('.', PREFIX.length);
  if (dot <= PREFIX.length) return false;
  const macEnd = sealed.indexOf('.', dot + 1);
  if (macEnd < 0 || macEnd + 1 >= sealed.length) return false;
  const service = sealed.substring(PREFIX.length, dot);
  const given = sealed.substring(dot + 1, macEnd);
  const id = sealed.substring(macEnd + 1);
  if (keys.length === 0) {
    if (given.length !== 0) return false;
  } else {
    if (given.length !== MAC_HEX) return false;
    let ok = false;
    for (let i = 0; i < keys.length && !ok; i++) ok = mac(keys[i], principal, service, id) === given;
    if (!ok) return false;
  }
  out.service = service;
  out.id = id;
  return true;
}
