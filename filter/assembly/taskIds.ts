// Task ids of the 2026-07-28 tasks extension (io.modelcontextprotocol/tasks), as the gateway hands them out:
// `t1.<service>.<mac>.<the server's id>`. The service routes tasks/get, tasks/update and tasks/cancel on the
// aggregated /mcp (the id is all such a request names); the mac, an HMAC-SHA256 (first 128 bits) of the caller's
// principal, the service and the id under a MESHMCP_SESSION_KEYS key, binds the task to the caller that created it,
// so a leaked task id is useless to anyone else. Without keys the mac is empty and the id only routes.

import { allIn, CLASS_HEX, CLASS_VISIBLE } from './configReader';
import { hmacSha256Hex } from './sha256';

const PREFIX = 't1.';
/** Hex digits of the MAC kept: 128 bits. */
const MAC_HEX: i32 = 32;
/** Longest session id a task may be held in (bytes); a longer one is not kept. */
export const MAX_TASK_SESSION: i32 = 128;
/** Longest inner form: `s1.`, 16 hex digits of affinity, `.`, the session id in hex, `.`. */
export const MAX_SESSION_FORM: i32 = 3 + 16 + 1 + 2 * MAX_TASK_SESSION + 1;
/** Longest server task id wrapped (bytes); a longer one passes as the server wrote it, and cannot be used here. */
export const MAX_TASK_ID: i32 = 256;
/**
 * Longest id the gateway hands out: `t1.`, a service name (63), `.`, the mac, `.`, the server's id, and for a task
 * held in a session the inner form below.
 */
export const MAX_HANDED_OUT: i32 = 3 + 63 + 1 + MAC_HEX + 1 + MAX_TASK_ID + MAX_SESSION_FORM;

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

// 2025-11-25 tasks on the aggregated /mcp, on a server that keeps sessions: the task lives in a session its pod's
// proxy opened for the tools/call that created it and keeps (upstreamSession.ts), so the server's id is handed out
// with what finds that session again, `s1.<affinity>.<session id in hex>.<the server's id>`, inside the id above
// (the mac covers all of it). The affinity is the Mcp-Session-Id value the gateway sent the creating call with,
// which the rendered DestinationRule hashes on: sent again, it reaches the same pod.
const SESSION_FORM = 's1.';

const HEX = '0123456789abcdef';

/** A session-held task, opened from its inner form. */
export class SessionTask {
  affinity: string = '';
  session: string = '';
  id: string = '';
}

/** Whether a session id can be carried: visible ASCII (as Streamable HTTP requires), at most MAX_TASK_SESSION. */
export function carriableSession(session: string): bool {
  const n = session.length;
  return n > 0 && n <= MAX_TASK_SESSION && allIn(session, CLASS_VISIBLE);
}

/** The part put before the server's id (it must be carriable). */
export function sessionTaskForm(affinity: string, session: string): string {
  let hex = '';
  for (let i = 0; i < session.length; i++) {
    const c = session.charCodeAt(i);
    hex += HEX.charAt(c >> 4) + HEX.charAt(c & 15);
  }
  return SESSION_FORM + affinity + '.' + hex + '.';
}

function nibble(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Opens an inner id made by sessionTaskForm; false for any other form. */
export function openSessionTask(inner: string, out: SessionTask): bool {
  if (!inner.startsWith(SESSION_FORM)) return false;
  const a = inner.indexOf('.', SESSION_FORM.length);
  if (a <= SESSION_FORM.length || a - SESSION_FORM.length > 16) return false;
  const h = inner.indexOf('.', a + 1);
  if (h < 0 || h + 1 >= inner.length || ((h - a - 1) & 1) !== 0 || h - a - 1 > 2 * MAX_TASK_SESSION) return false;
  let session = '';
  for (let i = a + 1; i < h; i += 2) {
    const hi = nibble(inner.charCodeAt(i));
    const lo = nibble(inner.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return false;
    session += String.fromCharCode((hi << 4) | lo);
  }
  if (!carriableSession(session)) return false;
  const affinity = inner.substring(SESSION_FORM.length, a);
  if (!allIn(affinity, CLASS_HEX)) return false;
  out.affinity = affinity;
  out.session = session;
  out.id = inner.substring(h + 1);
  return true;
}
