// Events, newest first: of one object (a pod's, a deployment's) or of whole namespaces, Warnings alone if asked.
import { capText, toolResult } from '../../toolSupport.js';
import type { ObjectSchema, Tool, ToolContext } from '../../types.js';
import { age, listIn, MAX_ROWS, moreNote, namespaceSchema, namespacesFor, READ_ONLY, table } from './scope.js';
import type { KubeEvent } from './types.js';

/** When an event last happened: its lastTimestamp, eventTime (events.k8s.io writers) or creation time. */
export const eventTime = (e: KubeEvent) =>
  e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? e.firstTimestamp ?? '';

export const newestFirst = (events: KubeEvent[]) =>
  [...events].sort((a, b) => Date.parse(eventTime(b) || '0') - Date.parse(eventTime(a) || '0'));

export function eventRows(events: KubeEvent[]) {
  return events.map((e) => ({
    namespace: e.metadata?.namespace ?? e.involvedObject?.namespace ?? '',
    last_seen: eventTime(e),
    type: e.type ?? '',
    reason: e.reason ?? '',
    object: `${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}`,
    count: e.count ?? 1,
    message: capText((e.message ?? '').trim(), 300),
  }));
}

export function eventsTable(events: KubeEvent[]): string {
  return table(
    ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'COUNT', 'MESSAGE'],
    eventRows(events).map((r) => [age(r.last_seen), r.type, r.reason, r.object, String(r.count), r.message]),
  );
}

/** The events of one object, newest first (at most MAX_ROWS). */
export async function objectEvents(ctx: ToolContext, namespace: string, kind: string, name: string) {
  const { items } = await listIn<KubeEvent>(ctx, '/api/v1', 'events', [namespace], {
    fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
  });
  return newestFirst(items).slice(0, MAX_ROWS);
}

export async function namespaceEvents(ctx: ToolContext, args: Record<string, unknown>) {
  const fields = [
    typeof args['kind'] === 'string' && args['kind'] ? `involvedObject.kind=${args['kind']}` : '',
    typeof args['name'] === 'string' && args['name'] ? `involvedObject.name=${args['name']}` : '',
    typeof args['type'] === 'string' && args['type'] ? `type=${args['type']}` : '',
  ].filter(Boolean);
  const { items, more } = await listIn<KubeEvent>(ctx, '/api/v1', 'events', namespacesFor(ctx, args['namespace']), {
    fieldSelector: fields.join(',') || undefined,
  });
  const limit = Number(args['limit'] ?? 50);
  const events = newestFirst(items);
  const shown = events.slice(0, limit);
  const text = shown.length
    ? [eventsTable(shown), ...moreNote(events.length, limit, more, 'events')].join('\n')
    : 'no events match';
  return toolResult(text, { events: eventRows(shown), total: events.length });
}

export const eventsSchema: ObjectSchema = {
  type: 'object',
  properties: {
    namespace: namespaceSchema,
    kind: { type: 'string', pattern: '^[A-Za-z]{1,63}$', description: 'only events of this kind of object, e.g. Pod' },
    name: {
      type: 'string',
      pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
      description: 'only events of this object',
    },
    type: { type: 'string', enum: ['Normal', 'Warning'], description: 'only Normal or only Warning events' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_ROWS, default: 50 },
  },
  additionalProperties: false,
};

export const eventsTool: Tool = {
  name: 'events',
  description:
    'Events newest first: of one object (kind and name, e.g. Pod payment-7d9f) or of whole namespaces; ' +
    'type=Warning for the problems only. Events say why pods are pending, killed or failing probes.',
  inputSchema: eventsSchema,
  annotations: { title: 'Kubernetes events', ...READ_ONLY },
  run: (args, ctx) => namespaceEvents(ctx, args),
};
