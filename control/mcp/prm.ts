// RFC 9728 OAuth protected resource metadata for the MCP endpoint, built from the render configuration's `oauth`.
import type { ProtectedResource } from '../types.js';

/** The well-known path, and its form with the resource's path appended (RFC 9728 section 3.1). */
export function metadataPaths(resource: string): string[] {
  const base = '/.well-known/oauth-protected-resource';
  const path = new URL(resource).pathname.replace(/\/$/, '');
  return path === '' ? [base] : [base, `${base}${path}`];
}

/** The metadata document (only the fields the operator configured, beside `resource`). */
export function metadataDocument(p: ProtectedResource): Record<string, unknown> {
  const doc: Record<string, unknown> = { resource: p.resource };
  if (p.authorizationServers.length > 0) doc['authorization_servers'] = p.authorizationServers;
  if (p.scopesSupported.length > 0) doc['scopes_supported'] = p.scopesSupported;
  doc['bearer_methods_supported'] = ['header'];
  if (p.resourceName !== undefined) doc['resource_name'] = p.resourceName;
  if (p.resourceDocumentation !== undefined) doc['resource_documentation'] = p.resourceDocumentation;
  return doc;
}
