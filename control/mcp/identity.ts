// The caller's identity as the gateway filter forwards it: x-meshmcp-principal and x-meshmcp-groups (comma-separated,
// each value %-encoded where it is not plain header text; filter/README.md step 11). Pure.

import type { Identity } from './authorize.js';

export const PRINCIPAL_HEADER = 'x-meshmcp-principal';
export const GROUPS_HEADER = 'x-meshmcp-groups';
/** A delegate key acting for the caller: the key's own principal and groups (filter/README.md step 4). */
export const VIA_HEADER = 'x-meshmcp-via';
export const VIA_GROUPS_HEADER = 'x-meshmcp-via-groups';

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
  const caller = named(headers, PRINCIPAL_HEADER, GROUPS_HEADER);
  if (caller === undefined) {
    return {
      problem:
        `no ${PRINCIPAL_HEADER} header: the control service answers only requests the meshmcp gateway forwards; ` +
        'connect to the gateway endpoint instead',
    };
  }
  if ('problem' in caller) return caller;
  const via = named(headers, VIA_HEADER, VIA_GROUPS_HEADER);
  if (via !== undefined && 'problem' in via) return via;
  return { identity: via === undefined ? caller.identity : { ...caller.identity, via: via.identity } };
}

/** The identity in a principal header and its groups header; undefined when the principal header is absent. */
function named(
  headers: Record<string, string | string[] | undefined>,
  principalHeader: string,
  groupsHeader: string,
): IdentityResult | undefined {
  const rawPrincipal = single(headers[principalHeader]);
  if (rawPrincipal === undefined || rawPrincipal === '') return undefined;
  if (Array.isArray(headers[principalHeader])) return { problem: `${principalHeader} appears more than once` };
  const principal = decode(rawPrincipal, principalHeader);
  if (typeof principal !== 'string') return principal;
  if (principal.length > MAX_PRINCIPAL) return { problem: `${principalHeader} is longer than ${MAX_PRINCIPAL}` };
  const groups: string[] = [];
  const rawGroups = single(headers[groupsHeader]);
  if (rawGroups !== undefined && rawGroups !== '') {
    const items = rawGroups.split(',');
    if (items.length > MAX_GROUPS) return { problem: `${groupsHeader} lists more than ${MAX_GROUPS} groups` };
    for (const item of items) {
      const g = decode(item.trim(), groupsHeader);
      if (typeof g !== 'string') return g;
      if (g !== '') groups.push(g);
    }
  }
  return { identity: { principal, groups, scopes: [] } };
}

/** What authorize() reads of an identity, order-insensitive, with a delegate key's own in the same form. */
const keyParts = (id: Identity): unknown[] => [
  id.principal,
  [...id.groups].sort(),
  [...id.scopes].sort(),
  id.via ? keyParts(id.via) : null,
];

/**
 * A stable key for caching per-identity views: the whole authorization context (principal, groups, scopes, and a
 * delegate key's), so two callers that authorize() could judge differently never share a key.
 */
export function identityKey(id: Identity): string {
  return JSON.stringify(keyParts(id));
}
