// The four lists the aggregated endpoint answers (tools, prompts, resources, resource templates): each one's list
// method, the call whose authorization decides what it shows, the member that names an item, the catalog member that
// keeps the server's own name for it, and the prefix a server's items carry in the catalog (contract 1). Pure.
import { RESOURCE_SCHEME } from '../catalogRules.js';
import type { ListKind } from '../types.js';

export interface KindRules {
  /** The list method, e.g. `tools/list`. */
  list: string;
  /** The call the gateway authorizes for an item; a list shows what its caller may call (authorize.ts `listable`). */
  call: string;
  /** The member naming an item on the wire, which authorize() judges: a name or a wrapped URI. */
  member: 'name' | 'uri' | 'uriTemplate';
  /** The catalog member holding the server's own name or URI (the gateway's business, not the client's). */
  own: 'tool' | 'prompt' | 'resource' | 'template';
  /** What every item of a server starts with: `<route>__`, or `meshmcp://<route>/`. */
  prefix(route: string): string;
}

const named = (route: string) => `${route}__`;
const wrapped = (route: string) => `${RESOURCE_SCHEME}${route}/`;

export const KINDS: Record<ListKind, KindRules> = {
  tools: { list: 'tools/list', call: 'tools/call', member: 'name', own: 'tool', prefix: named },
  prompts: { list: 'prompts/list', call: 'prompts/get', member: 'name', own: 'prompt', prefix: named },
  resources: { list: 'resources/list', call: 'resources/read', member: 'uri', own: 'resource', prefix: wrapped },
  resourceTemplates: {
    list: 'resources/templates/list',
    call: 'resources/read',
    member: 'uriTemplate',
    own: 'template',
    prefix: wrapped,
  },
};

export const LIST_KINDS = Object.keys(KINDS) as ListKind[];
