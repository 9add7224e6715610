// A small reference of how Envoy matches a request's host against virtual-host domains (RouteMatcher's
// findVirtualHost) and of the domains Istio writes for a Gateway host, to check the filter's host gate against. It
// answers one question: could some such configuration route this host to the MCP hosts' virtual host?

/** Envoy's HeaderUtility::getPortStart: the last ':', unless a ']' follows it (an IPv6 literal); -1 when none. */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return -1;
  const bracket = host.lastIndexOf(']');
  return bracket < colon ? colon : -1;
}

/** The connection manager's strip_any_host_port (and the route table's ignore_port_in_host_matching). */
export function stripPort(host: string): string {
  const at = portStart(host);
  return at < 0 ? host : host.slice(0, at);
}

/** The connection manager's strip_trailing_host_dot: one dot at the end, or right before the port. */
export function stripTrailingDot(host: string): string {
  const at = portStart(host);
  if (at < 0) return host.endsWith('.') ? host.slice(0, -1) : host;
  return at > 0 && host[at - 1] === '.' ? host.slice(0, at - 1) + host.slice(at) : host;
}

/** One domain against a lower-cased host: `*`, `*suffix`, `prefix*` (the `*` stands for one character or more), exact. */
export function domainMatches(domain: string, host: string): boolean {
  if (domain === '*') return true;
  if (domain.startsWith('*')) return host.length > domain.length - 1 && host.endsWith(domain.slice(1));
  if (domain.endsWith('*')) return host.length > domain.length - 1 && host.startsWith(domain.slice(0, -1));
  return host === domain;
}

/** Istio's domains for a Gateway server host (buildGatewayVirtualHostDomains): the host, and `host:*`, or for a wildcard host `host:<server port>`. */
export function istioDomains(host: string, port: number): string[] {
  if (host === '*') return ['*'];
  return [host, host.startsWith('*') ? `${host}:${port}` : `${host}:*`];
}

const SERVER_PORTS = [80, 443, 8080, 8443];

/**
 * Whether Envoy could route a request with this host to a virtual host of these MCP hosts: with Istio's domains
 * for any server port, Envoy's ASCII lower-casing, and port and trailing-dot stripping each on or off.
 */
export function envoyCouldRoute(host: string, mcpHosts: string[]): boolean {
  const lower = host.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const forms = new Set([
    lower,
    stripPort(lower),
    stripTrailingDot(lower),
    stripPort(stripTrailingDot(lower)),
    stripTrailingDot(stripPort(lower)),
  ]);
  const domains = new Set(mcpHosts.flatMap((h) => SERVER_PORTS.flatMap((port) => istioDomains(h, port))));
  return [...forms].some((form) => [...domains].some((d) => domainMatches(d, form)));
}
