// The kubernetes pack (`meshmcp sidecar --pack kubernetes`): read-only tools over the API server as the pack's own
// ServiceAccount, limited to the namespaces of its allow-list. `get` comes first and takes the kind first, so a chat
// line `mcp kubernetes get pods` maps word for word.

import type { PackHealth } from '../../app.js';
import { ToolError } from '../../errors.js';
import { toolResult } from '../../toolSupport.js';
import type { JsonSchema, SidecarSettings, Tool, ToolContext } from '../../types.js';
import { createKubeApi } from './api.js';
import { deploymentRow, deploymentTools } from './deployments.js';
import { eventsTool, namespaceEvents } from './events.js';
import { meshRoutesTool } from './mesh.js';
import { nodesAnswer, nodesTool } from './nodes.js';
import { phaseFilter, phaseSchema, podsTable, podTools } from './pods.js';
import {
  age,
  kube,
  listIn,
  MAX_ROWS,
  moreNote,
  namespaceSchema,
  namespacesFor,
  READ_ONLY,
  table,
  timeout,
} from './scope.js';
import type { Deployment, Meta, Pod, Service } from './types.js';

const KINDS = ['pods', 'deployments', 'services', 'events', 'nodes', 'namespaces'];
const ALIASES: Record<string, string> = {
  pod: 'pods',
  po: 'pods',
  deployment: 'deployments',
  deploy: 'deployments',
  service: 'services',
  svc: 'services',
  event: 'events',
  ev: 'events',
  node: 'nodes',
  no: 'nodes',
  namespace: 'namespaces',
  ns: 'namespaces',
};

async function getPods(ctx: ToolContext, args: Record<string, unknown>) {
  const { items, more } = await listIn<Pod>(ctx, '/api/v1', 'pods', namespacesFor(ctx, args['namespace']), {
    labelSelector: selector(args),
  });
  const pods = items.filter(phaseFilter(args['phase']));
  const shown = pods.slice(0, MAX_ROWS);
  const { text, rows } = podsTable(shown);
  if (!pods.length) return toolResult('no pods match', { pods: [], total: 0 });
  return toolResult([text, ...moreNote(pods.length, MAX_ROWS, more, 'pods')].join('\n'), {
    pods: rows,
    total: pods.length,
  });
}

async function getDeployments(ctx: ToolContext, args: Record<string, unknown>) {
  const { items, more } = await listIn<Deployment>(
    ctx,
    '/apis/apps/v1',
    'deployments',
    namespacesFor(ctx, args['namespace']),
    {
      labelSelector: selector(args),
    },
  );
  if (!items.length) return toolResult('no deployments match', { deployments: [], total: 0 });
  const rows = items.slice(0, MAX_ROWS).map(deploymentRow);
  const text = table(
    ['NAMESPACE', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'ROLLOUT'],
    rows.map((r) => [r.namespace, r.name, r.ready, String(r.up_to_date), String(r.available), r.age, r.rollout]),
  );
  return toolResult([text, ...moreNote(items.length, MAX_ROWS, more, 'deployments')].join('\n'), {
    deployments: rows,
    total: items.length,
  });
}

async function getServices(ctx: ToolContext, args: Record<string, unknown>) {
  const { items, more } = await listIn<Service>(ctx, '/api/v1', 'services', namespacesFor(ctx, args['namespace']), {
    labelSelector: selector(args),
  });
  if (!items.length) return toolResult('no services match', { services: [], total: 0 });
  const rows = items.slice(0, MAX_ROWS).map((s) => ({
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    type: s.spec?.type ?? 'ClusterIP',
    cluster_ip: s.spec?.clusterIP ?? '',
    ports: (s.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(','),
    mcp_enabled: s.metadata?.labels?.['mcp-enabled'] === 'true',
    age: age(s.metadata?.creationTimestamp),
  }));
  const text = table(
    ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'PORTS', 'MCP', 'AGE'],
    rows.map((r) => [r.namespace, r.name, r.type, r.cluster_ip, r.ports, r.mcp_enabled ? 'yes' : '', r.age]),
  );
  return toolResult([text, ...moreNote(items.length, MAX_ROWS, more, 'services')].join('\n'), {
    services: rows,
    total: items.length,
  });
}

async function getNamespaces(ctx: ToolContext) {
  const s = ctx.settings.kubernetes!;
  const api = kube(ctx);
  const read = (path: string, what: string) =>
    api.json<{ items?: Array<{ metadata?: Meta; status?: { phase?: string } }> }>(path, {
      timeoutMs: timeout(ctx),
      signal: ctx.signal,
      what,
    });
  const items = s.allNamespaces
    ? ((await read('/api/v1/namespaces', 'namespaces')).items ?? [])
    : await Promise.all(
        s.namespaces.map(
          (n) =>
            read(`/api/v1/namespaces/${n}`, `namespace ${n}`) as Promise<{
              metadata?: Meta;
              status?: { phase?: string };
            }>,
        ),
      );
  const rows = items.map((n) => ({
    name: n.metadata?.name ?? '',
    status: n.status?.phase ?? '',
    age: age(n.metadata?.creationTimestamp),
  }));
  const scope = s.allNamespaces ? 'every namespace' : `the allow-list: ${s.namespaces.join(', ')}`;
  return toolResult(
    `${table(
      ['NAME', 'STATUS', 'AGE'],
      rows.map((r) => [r.name, r.status, r.age]),
    )}\nthe pack reads ${scope}`,
    {
      namespaces: rows,
      all_namespaces: s.allNamespaces,
    },
  );
}

function selector(args: Record<string, unknown>): string | undefined {
  return typeof args['selector'] === 'string' && args['selector'] ? args['selector'] : undefined;
}

const getSchema: Record<string, JsonSchema> = {
  kind: {
    type: 'string',
    minLength: 1,
    maxLength: 20,
    description: `what to list: ${KINDS.join(', ')} (singular and kubectl short names work too)`,
  },
  namespace: namespaceSchema,
  selector: {
    type: 'string',
    maxLength: 500,
    pattern: '^[A-Za-z0-9_./,=!() -]*$',
    description: 'a label selector, e.g. app=payment-service,tier!=cache',
  },
  phase: phaseSchema,
};

const get: Tool = {
  name: 'get',
  description:
    'Lists Kubernetes objects like `kubectl get`: pods (ready, status, restarts, age, node), deployments (with ' +
    'rollout state), services, events (newest first), nodes (capacity and requests) or namespaces, in the namespaces ' +
    'the pack may read. Narrow with namespace, a label selector and (pods) a phase.',
  inputSchema: { type: 'object', properties: getSchema, required: ['kind'], additionalProperties: false },
  annotations: { title: 'kubectl get', ...READ_ONLY },
  run(args, ctx) {
    const raw = String(args['kind']).toLowerCase();
    const kind = KINDS.includes(raw) ? raw : ALIASES[raw];
    if (args['phase'] !== undefined && kind !== 'pods') throw new ToolError('phase narrows pods only');
    switch (kind) {
      case 'pods':
        return getPods(ctx, args);
      case 'deployments':
        return getDeployments(ctx, args);
      case 'services':
        return getServices(ctx, args);
      case 'events':
        return namespaceEvents(ctx, { namespace: args['namespace'] });
      case 'nodes':
        return nodesAnswer(ctx);
      case 'namespaces':
        return getNamespaces(ctx);
      default:
        throw new ToolError(`kind ${JSON.stringify(args['kind'])} is not one the pack lists: ${KINDS.join(', ')}`);
    }
  },
};

/** The pack's tools, in the order `mcp help` shows them. */
export const kubernetesPack: Tool[] = [get, ...podTools, eventsTool, nodesTool, ...deploymentTools, meshRoutesTool];

/** /health: ready when the API server answers a one-pod list as the pack's ServiceAccount (token, CA and RBAC). */
export function kubernetesHealth(settings: SidecarSettings): PackHealth {
  const s = settings.kubernetes!;
  const api = createKubeApi(s);
  const path = s.allNamespaces ? '/api/v1/pods' : `/api/v1/namespaces/${s.namespaces[0]}/pods`;
  return () =>
    api.json(path, { query: { limit: 1 }, timeoutMs: 2000, what: 'pods (the health check)' }).then(
      () => ({ ready: true, kubernetes: { reachable: true, api: s.apiUrl } }),
      (err: Error) => ({ ready: false, kubernetes: { reachable: false, api: s.apiUrl, error: err.message } }),
    );
}
