// What every kubernetes tool shares: the API client for the sidecar's settings, the namespace allow-list, reading a
// list in each allowed namespace, and the kubectl-like text (ages, aligned columns) the answers are made of.
import { ToolError } from '../../errors.js';
import { requestTimeout } from '../../toolSupport.js';
import type { JsonSchema, KubernetesSettings, ToolContext } from '../../types.js';
import { createKubeApi, type KubeApi } from './api.js';

export const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;
export const MAX_ROWS = 100;
/** Namespaces read one by one when the allow-list names them; more is a cluster-wide reader's job (`*`). */
const MAX_NAMESPACES = 20;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const nameSchema = (what: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: NAME.source,
  description: what,
});
export const namespaceSchema: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  description: 'the namespace; omit for every namespace the pack may read',
};

const apis = new WeakMap<KubernetesSettings, KubeApi>();

export function kube(ctx: ToolContext): KubeApi {
  const s = ctx.settings.kubernetes;
  if (!s) throw new ToolError('the kubernetes pack is not configured: run the sidecar with --pack kubernetes');
  let api = apis.get(s);
  if (!api) {
    api = createKubeApi(s);
    apis.set(s, api);
  }
  return api;
}

export const timeout = (ctx: ToolContext) => requestTimeout(ctx, 8000);

/**
 * The namespaces a call reads: the one asked for, if the allow-list has it; else every allowed one, or `undefined`
 * for all of them when the allow-list is `*` (a cluster-wide list).
 */
export function namespacesFor(ctx: ToolContext, asked: unknown): string[] | undefined {
  const s = ctx.settings.kubernetes!;
  if (typeof asked === 'string' && asked !== '') {
    if (!s.allNamespaces && !s.namespaces.includes(asked))
      throw new ToolError(
        `namespace ${asked} is not one this pack may read (allowed: ${s.namespaces.join(', ')}); the allow-list is --namespaces / MCP_NAMESPACES`,
      );
    return [asked];
  }
  if (s.allNamespaces) return undefined;
  if (s.namespaces.length > MAX_NAMESPACES)
    throw new ToolError(
      `name a namespace: the pack may read ${s.namespaces.length}, more than ${MAX_NAMESPACES} at once`,
    );
  return s.namespaces;
}

export interface KubeList<T> {
  items?: T[];
  metadata?: { continue?: string };
}

/**
 * Lists `resource` of an API group path (`/api/v1`, `/apis/apps/v1`) in the given namespaces (or cluster-wide): at
 * most `limit` objects in all, one namespace after the other so that at most one answer is held at a time; the
 * items, and whether the API server had more.
 */
export async function listIn<T>(
  ctx: ToolContext,
  group: string,
  resource: string,
  namespaces: string[] | undefined,
  query: Record<string, string | undefined> = {},
  limit = 250,
): Promise<{ items: T[]; more: boolean }> {
  const api = kube(ctx);
  const paths = namespaces
    ? namespaces.map((ns) => [`${group}/namespaces/${ns}/${resource}`, `${resource} in ${ns}`] as const)
    : [[`${group}/${resource}`, `${resource} in all namespaces`] as const];
  const items: T[] = [];
  let more = false;
  for (const [path, what] of paths) {
    if (items.length >= limit) {
      more = true;
      break;
    }
    const list = await api.json<KubeList<T>>(path, {
      query: { ...query, limit: limit - items.length },
      timeoutMs: timeout(ctx),
      signal: ctx.signal,
      what,
    });
    items.push(...(list.items ?? []));
    if (list.metadata?.continue) more = true;
  }
  return { items, more };
}

/** A Kubernetes age: 45s, 12m, 5h, 3d (from an RFC 3339 time); `?` without one. */
export function age(time: string | undefined, now = nowEpochMs()): string {
  const t = time ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(t)) return '?';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Wall-clock now: ages are differences of wall-clock times, unlike the sidecar's monotonic timings. */
export const nowEpochMs = (): number => Date.now();

/** Rows as kubectl prints them: upper-case headers, columns padded to the widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** "… N more not shown" when a list was cut to `limit` rows or the API server had more. */
export function moreNote(total: number, limit: number, more: boolean, what: string): string[] {
  const notes: string[] = [];
  if (total > limit) notes.push(`… ${total - limit} more ${what} not shown; narrow with a namespace or selector`);
  else if (more) notes.push(`… the API server has more ${what} than were read; narrow with a namespace or selector`);
  return notes;
}

export const labelsText = (l: Record<string, string> | undefined) =>
  Object.entries(l ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
