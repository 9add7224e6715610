// Deployments and their rollouts, in kubectl's words: ready, up to date, available, and whether the rollout is done,
// still going (and what it waits for) or past its progress deadline.
import { toolResult } from '../../toolSupport.js';
import type { Tool } from '../../types.js';
import { eventRows, eventsTable, objectEvents } from './events.js';
import { onlyNamespace } from './pods.js';
import { age, kube, nameSchema, namespaceSchema, READ_ONLY, timeout } from './scope.js';
import type { Deployment } from './types.js';

export type Rollout = { done: boolean; failed: boolean; message: string };

/** What `kubectl rollout status` would say of the deployment now, without waiting. */
export function rolloutStatus(d: Deployment): Rollout {
  const name = d.metadata?.name ?? '?';
  const st = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0))
    return { done: false, failed: false, message: `waiting for the deployment ${name} spec update to be observed` };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { done: false, failed: true, message: `deployment ${name} exceeded its progress deadline` };
  const desired = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  const wait = `waiting for deployment ${name} rollout to finish:`;
  if (d.spec?.paused) return { done: false, failed: false, message: `deployment ${name} is paused` };
  if (updated < desired)
    return {
      done: false,
      failed: false,
      message: `${wait} ${updated} out of ${desired} new replicas have been updated`,
    };
  if (total > updated)
    return { done: false, failed: false, message: `${wait} ${total - updated} old replicas are pending termination` };
  if (available < updated)
    return { done: false, failed: false, message: `${wait} ${available} of ${updated} updated replicas are available` };
  return { done: true, failed: false, message: `deployment ${name} successfully rolled out` };
}

export function deploymentRow(d: Deployment) {
  const st = d.status ?? {};
  const r = rolloutStatus(d);
  return {
    namespace: d.metadata?.namespace ?? '',
    name: d.metadata?.name ?? '',
    ready: `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
    up_to_date: st.updatedReplicas ?? 0,
    available: st.availableReplicas ?? 0,
    age: age(d.metadata?.creationTimestamp),
    rollout: r.done ? 'complete' : r.failed ? 'failed' : 'in progress',
  };
}

const rolloutTool: Tool = {
  name: 'rollout_status',
  description:
    'Whether a deployment’s rollout is complete, still going (and what it waits for) or past its progress ' +
    'deadline, with its conditions and recent events. Use it after a deploy, or when a new version does not come up.',
  inputSchema: {
    type: 'object',
    properties: { name: nameSchema('the deployment name'), namespace: namespaceSchema },
    required: ['name'],
    additionalProperties: false,
  },
  annotations: { title: 'Deployment rollout status', ...READ_ONLY },
  async run(args, ctx) {
    const name = String(args['name']);
    const namespace = onlyNamespace(ctx, args['namespace']);
    const d = await kube(ctx).json<Deployment>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`, {
      timeoutMs: timeout(ctx),
      signal: ctx.signal,
      what: `deployment ${name} in ${namespace}`,
    });
    const r = rolloutStatus(d);
    const row = deploymentRow(d);
    const events = (await objectEvents(ctx, namespace, 'Deployment', name)).slice(0, 10);
    const lines = [
      r.message,
      `ready ${row.ready}, up to date ${row.up_to_date}, available ${row.available}, age ${row.age}`,
      'conditions:',
      ...(d.status?.conditions ?? []).map(
        (c) => `  ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`,
      ),
      `events (${events.length}, newest first):`,
      events.length ? eventsTable(events) : '  (none)',
    ];
    return toolResult(lines.join('\n'), {
      deployment: row,
      ...r,
      conditions: d.status?.conditions ?? [],
      events: eventRows(events),
    });
  },
};

export const deploymentTools: Tool[] = [rolloutTool];
