// Pods: the list `get pods` prints (ready, status, restarts, age, node), a pod described (conditions, container
// states, the last termination and its events) and a container's logs (tail, since, previous), redacted.
import { ToolError } from '../../errors.js';
import { redactText } from '../../redact.js';
import { capText, toolResult } from '../../toolSupport.js';
import { parseDuration } from '../../toolsConfig/common/fields.js';
import type { JsonSchema, Tool } from '../../types.js';
import { TEXT_MAX_BYTES } from './api.js';
import { eventRows, eventsTable, objectEvents } from './events.js';
import { age, kube, nameSchema, namespaceSchema, namespacesFor, READ_ONLY, table, timeout } from './scope.js';
import type { ContainerState, ContainerStatus, Pod } from './types.js';

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/** What kubectl's STATUS column says: a waiting or terminated reason beats the phase; Terminating beats both. */
export function podStatus(p: Pod): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  let status = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const c of p.status?.initContainerStatuses ?? []) {
    const why = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (why && c.state?.terminated?.exitCode !== 0) return `Init:${why}`;
  }
  for (const c of p.status?.containerStatuses ?? []) {
    const why = c.state?.waiting?.reason ?? (c.state?.terminated ? (c.state.terminated.reason ?? 'Terminated') : '');
    if (why) status = why;
  }
  return status;
}

const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);

export function podRow(p: Pod) {
  const cs = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? cs.length;
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    ready: `${cs.filter((c) => c.ready).length}/${total}`,
    status: podStatus(p),
    phase: p.status?.phase ?? 'Unknown',
    restarts: restarts(p),
    age: age(p.metadata?.creationTimestamp),
    node: p.spec?.nodeName ?? '<none>',
  };
}

export function podsTable(pods: Pod[]): { text: string; rows: ReturnType<typeof podRow>[] } {
  const rows = pods.map(podRow);
  const text = table(
    ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE'],
    rows.map((r) => [r.namespace, r.name, r.ready, r.status, String(r.restarts), r.age, r.node]),
  );
  return { text, rows };
}

export const phaseFilter = (phase: unknown) => (p: Pod) =>
  typeof phase !== 'string' || phase === '' || (p.status?.phase ?? 'Unknown') === phase;

export const phaseSchema: JsonSchema = {
  type: 'string',
  enum: PHASES,
  description: 'pods only: Pending, Running, Succeeded, Failed or Unknown',
};

function stateText(s: ContainerState | undefined): string {
  if (!s) return 'unknown';
  if (s.running) return `Running since ${s.running.startedAt ?? '?'}`;
  if (s.waiting)
    return `Waiting: ${s.waiting.reason ?? '?'}${s.waiting.message ? ` (${capText(s.waiting.message, 300)})` : ''}`;
  if (s.terminated) {
    const t = s.terminated;
    return `Terminated: ${t.reason ?? '?'} (exit code ${t.exitCode ?? '?'}${t.signal ? `, signal ${t.signal}` : ''})${t.finishedAt ? ` at ${t.finishedAt}` : ''}${t.message ? `: ${capText(t.message, 300)}` : ''}`;
  }
  return 'unknown';
}

function containerLines(c: ContainerStatus, image: string | undefined): string[] {
  const lines = [
    `  ${c.name}: ${c.ready ? 'ready' : 'not ready'}, ${c.restartCount ?? 0} restarts, image ${c.image ?? image ?? '?'}`,
    `    state: ${stateText(c.state)}`,
  ];
  if (c.lastState?.terminated)
    lines.push(`    last termination: ${stateText(c.lastState).replace(/^Terminated: /, '')}`);
  return lines;
}

const describePod: Tool = {
  name: 'describe_pod',
  description:
    'Describes one pod: phase, node, conditions, each container’s state, restarts and last termination reason ' +
    '(OOMKilled, Error …), and the pod’s events newest first. Use it to find why a pod is not ready or restarts.',
  inputSchema: {
    type: 'object',
    properties: { name: nameSchema('the pod name'), namespace: namespaceSchema },
    required: ['name'],
    additionalProperties: false,
  },
  annotations: { title: 'Describe a pod', ...READ_ONLY },
  async run(args, ctx) {
    const name = String(args['name']);
    const namespace = onlyNamespace(ctx, args['namespace']);
    const pod = await kube(ctx).json<Pod>(`/api/v1/namespaces/${namespace}/pods/${name}`, {
      timeoutMs: timeout(ctx),
      signal: ctx.signal,
      what: `pod ${name} in ${namespace}`,
    });
    const events = await objectEvents(ctx, namespace, 'Pod', name);
    const row = podRow(pod);
    const images = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c.image]));
    const lines = [
      `pod ${namespace}/${name}: ${row.status} (phase ${row.phase}), ${row.ready} ready, ${row.restarts} restarts, age ${row.age}`,
      `node: ${row.node}, IP: ${pod.status?.podIP ?? '<none>'}, started: ${pod.status?.startTime ?? '?'}`,
      'conditions:',
      ...(pod.status?.conditions ?? []).map(
        (c) =>
          `  ${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${capText(c.message, 200)}` : ''})` : ''}`,
      ),
      'containers:',
      ...(pod.status?.initContainerStatuses ?? []).flatMap((c) =>
        containerLines(c, undefined).map((l) => `${l} [init]`),
      ),
      ...(pod.status?.containerStatuses ?? []).flatMap((c) => containerLines(c, images.get(c.name))),
      `events (${events.length}, newest first):`,
      events.length ? eventsTable(events) : '  (none)',
    ];
    if (pod.status?.message) lines.splice(2, 0, `message: ${capText(pod.status.message, 500)}`);
    return toolResult(lines.join('\n'), {
      pod: row,
      conditions: pod.status?.conditions ?? [],
      containers: pod.status?.containerStatuses ?? [],
      events: eventRows(events),
    });
  },
};

/** A namespaced object's calls need one namespace: the one asked for, or the allow-list's only one. */
export function onlyNamespace(ctx: Parameters<typeof namespacesFor>[0], asked: unknown): string {
  const ns = namespacesFor(ctx, asked);
  if (ns?.length === 1) return ns[0]!;
  throw new ToolError('name the namespace (namespace=…): the pack may read more than one');
}

const podLogs: Tool = {
  name: 'pod_logs',
  description:
    'A pod container’s log lines, newest last: `tail` lines (default 200), within `since`, or of the previous ' +
    '(crashed) instance with previous=true. Secrets are redacted; at most 1 MiB is read.',
  inputSchema: {
    type: 'object',
    properties: {
      name: nameSchema('the pod name'),
      namespace: namespaceSchema,
      container: { type: 'string', maxLength: 63, description: 'the container; needed when the pod has several' },
      tail: { type: 'integer', minimum: 1, maximum: 5000, default: 200, description: 'how many last lines' },
      since: { type: 'string', maxLength: 10, description: 'only lines newer than this, e.g. 10m, 1h' },
      previous: { type: 'boolean', default: false, description: 'the previous instance of a restarted container' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  annotations: { title: 'Pod logs', ...READ_ONLY },
  async run(args, ctx) {
    const name = String(args['name']);
    const namespace = onlyNamespace(ctx, args['namespace']);
    let sinceSeconds: number | undefined;
    if (args['since'] !== undefined) {
      const ms = parseDuration(String(args['since']));
      if (ms === undefined || ms <= 0)
        throw new ToolError(`since ${JSON.stringify(args['since'])} is not a duration like 30s, 5m, 1h or 1d`);
      sinceSeconds = Math.max(1, Math.ceil(ms / 1000));
    }
    const container = typeof args['container'] === 'string' && args['container'] ? args['container'] : undefined;
    const what = `the logs of pod ${name}${container ? ` container ${container}` : ''} in ${namespace}`;
    const { body, truncated } = await kube(ctx).text(`/api/v1/namespaces/${namespace}/pods/${name}/log`, {
      query: {
        container,
        tailLines: Number(args['tail']),
        sinceSeconds,
        previous: args['previous'] === true ? true : undefined,
        limitBytes: TEXT_MAX_BYTES,
      },
      maxBytes: TEXT_MAX_BYTES,
      timeoutMs: timeout(ctx),
      signal: ctx.signal,
      what,
    });
    const lines = redactText(body).split('\n');
    if (lines.at(-1) === '') lines.pop();
    const head = `${lines.length} lines of ${what}${args['previous'] === true ? ' (previous instance)' : ''}${truncated ? ', cut at 1 MiB' : ''}`;
    return toolResult(`${head}\n${lines.join('\n')}`, {
      pod: name,
      namespace,
      container: container ?? null,
      lines: lines.length,
      truncated,
    });
  },
};

export const podTools: Tool[] = [describePod, podLogs];
