// Nodes: readiness and the conditions that are not as they should be, what is allocatable against what the pods on
// the node request, and the taints that keep pods off it.
import { formatBytes, toolResult } from '../../toolSupport.js';
import type { Tool, ToolContext } from '../../types.js';
import type { KubeList } from './scope.js';
import { age, kube, listIn, MAX_ROWS, moreNote, nameSchema, READ_ONLY, table, timeout } from './scope.js';
import type { Node, Pod, Quantities } from './types.js';

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("250m", "1.5", "512Mi", "1e3") as a number; NaN when it is not one. */
export function quantity(q: string | undefined): number {
  if (q === undefined) return 0;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]{0,2})$/.exec(q.trim());
  if (!m) return Number.NaN;
  const unit = m[2] ?? '';
  if (unit !== '' && SUFFIX[unit] === undefined) return Number.NaN;
  return Number(m[1]) * (unit ? SUFFIX[unit]! : 1);
}

const cores = (n: number) => (n < 1 ? `${Math.round(n * 1000)}m` : `${Math.round(n * 100) / 100}`);
const pct = (used: number, of: number) => (of > 0 ? `${Math.round((used / of) * 100)}%` : '?');

/** The normal value of each node condition: Ready is True, the pressures are False. */
const problem = (c: { type: string; status: string }) =>
  c.type === 'Ready' ? c.status !== 'True' : c.status === 'True';

function requested(pods: Pod[]): { cpu: number; memory: number; pods: number } {
  let cpu = 0;
  let memory = 0;
  for (const p of pods) {
    for (const c of p.spec?.containers ?? []) {
      cpu += quantity(c.resources?.requests?.cpu) || 0;
      memory += quantity(c.resources?.requests?.memory) || 0;
    }
  }
  return { cpu, memory, pods: pods.length };
}

function nodeRow(n: Node, pods: Pod[]) {
  const conds = n.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  const alloc: Quantities = n.status?.allocatable ?? {};
  const req = requested(pods);
  const roles = Object.keys(n.metadata?.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length) || 'node');
  return {
    name: n.metadata?.name ?? '',
    status: `${ready?.status === 'True' ? 'Ready' : 'NotReady'}${n.spec?.unschedulable ? ',SchedulingDisabled' : ''}`,
    roles: roles.join(',') || '<none>',
    age: age(n.metadata?.creationTimestamp),
    version: n.status?.nodeInfo?.kubeletVersion ?? '',
    problems: conds.filter(problem).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`),
    cpu: { allocatable: quantity(alloc.cpu), requested: req.cpu },
    memory: { allocatable: quantity(alloc.memory), requested: req.memory },
    pods: { allocatable: quantity(alloc.pods), running: req.pods },
    taints: (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
  };
}

/** Nodes with what their pods request: the pods the pack may see (every pod when it reads all namespaces). */
export async function nodesAnswer(ctx: ToolContext, name?: string) {
  const api = kube(ctx);
  const nodes = name
    ? [
        await api.json<Node>(`/api/v1/nodes/${name}`, {
          timeoutMs: timeout(ctx),
          signal: ctx.signal,
          what: `node ${name}`,
        }),
      ]
    : ((
        await api.json<KubeList<Node>>('/api/v1/nodes', {
          timeoutMs: timeout(ctx),
          signal: ctx.signal,
          what: 'nodes',
          query: { limit: 250 },
        })
      ).items ?? []);
  const s = ctx.settings.kubernetes!;
  const { items: pods } = await listIn<Pod>(ctx, '/api/v1', 'pods', s.allNamespaces ? undefined : s.namespaces, {
    fieldSelector: `${name ? `spec.nodeName=${name},` : ''}status.phase!=Succeeded,status.phase!=Failed`,
  });
  const byNode = new Map<string, Pod[]>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n) byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const rows = nodes.slice(0, MAX_ROWS).map((n) => nodeRow(n, byNode.get(n.metadata?.name ?? '') ?? []));
  const scope = s.allNamespaces ? 'all pods' : `pods in ${s.namespaces.join(', ')}`;
  const text = [
    table(
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'CPU REQ/ALLOC', 'MEMORY REQ/ALLOC', 'PODS'],
      rows.map((r) => [
        r.name,
        r.status,
        r.roles,
        r.age,
        r.version,
        `${cores(r.cpu.requested)}/${cores(r.cpu.allocatable)} (${pct(r.cpu.requested, r.cpu.allocatable)})`,
        `${formatBytes(r.memory.requested)}/${formatBytes(r.memory.allocatable)} (${pct(r.memory.requested, r.memory.allocatable)})`,
        `${r.pods.running}/${r.pods.allocatable}`,
      ]),
    ),
    ...rows.flatMap((r) => [
      ...(r.problems.length ? [`${r.name} conditions: ${r.problems.join(', ')}`] : []),
      ...(r.taints.length ? [`${r.name} taints: ${r.taints.join(', ')}`] : []),
    ]),
    `requested: the requests of ${scope} not finished`,
    ...moreNote(nodes.length, MAX_ROWS, false, 'nodes'),
  ];
  return toolResult(text.join('\n'), { nodes: rows, requests_from: scope });
}

export const nodesTool: Tool = {
  name: 'nodes',
  description:
    'Nodes: Ready or not and any condition out of the normal (MemoryPressure, DiskPressure …), CPU, memory and pod ' +
    'slots requested against allocatable, and taints. Use it when pods stay Pending or get evicted.',
  inputSchema: {
    type: 'object',
    properties: { name: nameSchema('one node; omit for all') },
    additionalProperties: false,
  },
  annotations: { title: 'Kubernetes nodes', ...READ_ONLY },
  run: (args, ctx) => nodesAnswer(ctx, typeof args['name'] === 'string' ? args['name'] : undefined),
};
