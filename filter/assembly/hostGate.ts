// Gateway mode's first step: is this request for an MCP host at all? On a listener that also serves other sites the
// filter must leave their requests alone, so it answers this before anything else, at the cost of one header read.
// The match must never be narrower than Envoy's virtual-host choice: a request Envoy routes to an MCP host's
// virtual host and this gate lets past unchecked would reach the MCP routes with no identity, policy or header
// stripping. Broader is safe (a stray request gets the MCP treatment, e.g. a 401).

import { headerValue, HostBytes, release, REQUEST_HEADERS } from './abi';
import { nameIs } from './requestHeaders';
import { enter, HEADERS, leave } from './profile';

const AUTHORITY = String.UTF8.encode(':authority');
const HOST = String.UTF8.encode('host');
const value = new HostBytes();

/** The configured MCP hosts, split into names and wildcard suffixes once per configuration (root context). */
export class HostGate {
  /** No `hosts` in the configuration, or `*` among them: every request is for MCP. */
  any: bool;
  /** Exact names (`mcp.example.com`); ASCII lower case, as the parser admits only that. */
  exact: string[] = [];
  /** Wildcard suffixes, dot included (`*.example.com` → `.example.com`). */
  suffixes: string[] = [];

  /** hosts as the parser checked them (`name`, `*.name` or `*`); empty: every host. */
  constructor(hosts: string[]) {
    this.any = hosts.length === 0;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i];
      if (h === '*') this.any = true;
      else if (h.charCodeAt(0) === 0x2a) this.suffixes.push(h.substring(1));
      else this.exact.push(h);
    }
  }

  /** Whether the current request is for an MCP host: `:authority` (or `host`, if that is how it came) matches. */
  admitsRequest(): bool {
    if (this.any) return true;
    // No host at all: Envoy can pick only a `*` virtual host for it, and this list has none.
    if (!headerValue(REQUEST_HEADERS, AUTHORITY, value) && !headerValue(REQUEST_HEADERS, HOST, value)) return false;
    enter(HEADERS);
    const yes = this.admits(value.ptr, value.len);
    release(value);
    leave();
    return yes;
  }

  /**
   * Whether the host value at [p, p+n) is an MCP host: a name ending at its first ':', its second-to-last ':', its
   * last ':' or its end matches, ignoring case and one trailing dot. A well-formed `name:port` has one colon; the
   * other cuts cover every malformed value Envoy could still route here, since Envoy may strip a port at the last
   * colon and then match a domain with a port of its own (Istio adds `name:*` and `*.suffix:<port>`). Bounded: four
   * tries, whatever the value. A bracketed IPv6 literal never matches a DNS name, so it needs no case of its own.
   */
  admits(p: usize, n: i32): bool {
    if (this.any) return true;
    let first = -1;
    let before = -1;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (load<u8>(p + <usize>i) !== 0x3a) continue;
      if (first < 0) first = i;
      before = last;
      last = i;
    }
    if (first >= 0 && this.names(p, first)) return true;
    if (before > first && this.names(p, before)) return true;
    if (last > first && this.names(p, last)) return true;
    return this.names(p, n);
  }

  /** Whether the name at [p, p+n), one trailing dot dropped, is an exact host or ends in a wildcard's suffix. */
  private names(p: usize, n: i32): bool {
    if (n > 0 && load<u8>(p + <usize>(n - 1)) === 0x2e) n--;
    const exact = this.exact;
    for (let i = 0; i < exact.length; i++) {
      if (nameIs(p, n, exact[i])) return true;
    }
    const suffixes = this.suffixes;
    for (let i = 0; i < suffixes.length; i++) {
      const k = suffixes[i].length;
      // Envoy's wildcard: the `*` stands for at least one character, so `.example.com` itself is not under it.
      if (n > k && nameIs(p + <usize>(n - k), k, suffixes[i])) return true;
    }
    return false;
  }
}
