// Envoy's virtual host choice, as far as the front needs it: the mesh's routes live in the virtual host of the MCP
// hosts, so a request for any other host meets no route (404), whatever headers it carries.

/** Whether `authority` (a Host / :authority value) falls in one of the domains: exact, `*.suffix` or `*`. */
export function inVirtualHost(authority: string | undefined, domains: readonly string[]): boolean {
  if (authority === undefined) return false;
  // Istio's gateway routes set ignore_port_in_host_matching; Envoy compares names case-insensitively.
  const host = authority.toLowerCase().replace(/:\d*$/, '');
  return domains.some((d) => {
    const domain = d.toLowerCase();
    if (domain === '*' || domain === host) return true;
    return domain.startsWith('*') && host.length > domain.length - 1 && host.endsWith(domain.slice(1));
  });
}
