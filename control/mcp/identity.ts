// The caller's identity as the gateway filter forwards it: x-meshmcp-principal and x-meshmcp-groups (comma-separated,
// each value %-encoded where it is not plain header text; filter/README.md step 11). Pure.

import type { Identity } from './authorize.js';

export const PRINCIPAL_HEADER = 'x-meshmcp-principal';
export const GROUPS_HEADER = 'x-meshmcp-groups';

/** The filter's bounds: a longer principal names no one there, so it cannot arrive here from the gateway. */
const MAX_PRINCIPAL = 256;
const MAX_GROUPS = 1024;

export type IdentityResult = { identity: Identity } | { problem: string };

function decode(value: string, what: string): string | { problem: string } {
  try {
    return decodeURIComponent(value);
  } catch {
    return { problem: `${what} is not valid %-encoded UTF-8` };
  }
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Reads the identity headers. No principal is a refusal, not an anonymous caller: the gateway sets it on every request
 * it forwards, so its absence means the request did not come through the gateway.
 */
export function identityFromHeaders(headers: Record<string, string | string[] | undefined>): IdentityResult {
  const rawPrincipal = single(headers[PRINCIPAL_HEADER]);
  if (rawPrincipal === undefined || rawPrincipal === '') {
    return {
      problem:
        `no ${PRINCIPAL_HEADER} header: the control service answers only requests the meshmcp gateway forwards; ` +
        'connect to the gateway endpoint instead',
    };
  }
  if (Array.isArray(headers[PRINCIPAL_HEADER])) return { problem: `${PRINCIPAL_HEADER} appears more than once` };
  const principal = decode(rawPrincipal, PRINCIPAL_HEADER);
  if (typeof principal !== 'string') return principal;
  if (principal.length > MAX_PRINCIPAL) return { problem: `${PRINCIPAL_HEADER} is longer than ${MAX_PRINCIPAL}` };
  const groups: string[] = [];
  const rawGroups = single(headers[GROUPS_HEADER]);
  if (rawGroups !== undefined && rawGroups !== '') {
    const items = rawGroups.split(',');
    if (items.length > MAX_GROUPS) return { problem: `${GROUPS_HEADER} lists more than ${MAX_GROUPS} groups` };
    for (const item of items) {
      const g = decode(item.trim(), GROUPS_HEADER);
      if (typeof g !== 'string') return g;
      if (g !== '') groups.push(g);
    }
  }
  return { identity: { principal, groups, scopes: [] } };
}

/** A stable key for caching per-identity views: principal and groups, order-insensitive for groups. */
export function identityKey(id: Identity): string {
  return JSON.stringify([id.principal, [...id.groups].sort()]);
}
