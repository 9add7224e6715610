// apply: writes rendered resources with server-side apply, in render's order, skips unchanged ones and prunes the
// managed objects of its shard no longer rendered (README.md). Built from a KubeConfig; plain Kubernetes REST, any
// API server.
import { type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import {
  CONTENT_HASH_ANNOTATION,
  filterName,
  MANAGED_BY_LABEL,
  MANAGER,
  PART_OF_LABEL,
  SHARD_LABEL,
  shardedName,
  toYaml,
} from '../managedObjects.js';
import type { Resource } from '../types.js';
import { unifiedDiff } from './diff.js';
import { runInStages } from './stages.js';

/** The server-side apply field manager: the same name as the managed-by label, so both say who owns an object. */
export const FIELD_MANAGER = MANAGER;

export interface ApplyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: ApplyLog = { info() {}, warn() {}, error() {} };

export interface ApplierOptions {
  kubeConfig: KubeConfig;
  fieldManager?: string;
  log?: ApplyLog;
  /** Namespaces where stale managed objects are pruned, besides those of the rendered resources. */
  scope: { namespaces: string[] };
  /**
   * The shard whose objects this applier writes and prunes (the render configuration's `shard`): it lists and prunes
   * only objects labelled with it, and without one only objects without the shard label, so shards never touch each
   * other's objects.
   */
  shard?: string;
  /**
   * Requests in flight at once within one stage of the write and prune orders (README.md); default 1: one at a
   * time, strictly in order.
   */
  concurrency?: number;
}

/** Object ids are `<Kind> <namespace>/<name>`. In a dry run, applied and pruned say what would be. */
export interface ApplyReport {
  applied: string[];
  unchanged: string[];
  pruned: string[];
  diff?: string;
}

/** An apply that stopped: which object (if one), the HTTP status and the API server's message; `report` = done so far. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly object: string | undefined,
    readonly status: number | undefined,
    readonly apiMessage: string,
    readonly report: ApplyReport,
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

interface Kind {
  apiVersion: string;
  kind: string;
  /** The CRD's name, for the error when it is missing. */
  crd?: string;
}

/** Every kind render may write; all are listed for pruning, so switching EnvoyFilter ↔ WasmPlugin cleans up. */
export const MANAGED_KINDS: readonly Kind[] = [
  { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', crd: 'authorizationpolicies.security.istio.io' },
  { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', crd: 'envoyfilters.networking.istio.io' },
  { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', crd: 'wasmplugins.extensions.istio.io' },
  { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', crd: 'virtualservices.networking.istio.io' },
  { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', crd: 'destinationrules.networking.istio.io' },
];

/** A live object as listed: the fields apply manages are those of a rendered Resource. */
type Live = Resource;

export const objectId = (o: { kind: string; metadata: { name: string; namespace: string } }): string =>
  `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;

/**
 * The stages of render's creation order: the sidecar lockdown (AuthorizationPolicies), sidecar filters, routes, the
 * gateway filter. Removal goes the other way: the gateway filter (already rewritten to drop stale routes), then
 * routes, then sidecar filters, and the lockdown last. `gatewayFilter` is the gateway filter's name in this shard.
 */
function stageRank(o: Live, gatewayFilter: string): number {
  if (o.kind === 'AuthorizationPolicy') return 0;
  if (o.kind === 'VirtualService' || o.kind === 'DestinationRule') return 2;
  if (o.metadata.name === gatewayFilter) return 3;
  return 1;
}

/** One object's failed request, carried out of runInStages to the ApplyError that names it. */
class ObjectFailure extends Error {
  constructor(
    readonly id: string,
    readonly failure: unknown,
  ) {
    super(id);
  }
}

/** What the API server told us: status (undefined for a network error) and its message. */
export function httpFailure(err: unknown): { status: number | undefined; message: string } {
  const e = err as { code?: unknown; body?: unknown; message?: unknown } | undefined;
  const status = typeof e?.code === 'number' ? e.code : undefined;
  let body = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // Not JSON: the text is the message.
    }
  }
  const fromBody =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : typeof body === 'string' && body !== ''
        ? body
        : undefined;
  return { status, message: (fromBody ?? String(e?.message ?? err)).slice(0, 500) };
}

/** Only the fields apply owns: our labels and annotations, spec and data. */
function managedView(o: Live, labelKeys: readonly string[], annotationKeys: readonly string[]): Resource {
  const pick = (from: Record<string, string> | undefined, keys: readonly string[]) => {
    const out: Record<string, string> = {};
    for (const k of keys) if (from?.[k] !== undefined) out[k] = from[k];
    return out;
  };
  const view: Resource = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      labels: pick(o.metadata.labels, labelKeys),
      annotations: pick(o.metadata.annotations, annotationKeys),
    },
  };
  if (o.spec !== undefined) view.spec = o.spec;
  if (o.data !== undefined) view.data = o.data;
  return view;
}

export class Applier {
  private readonly client: KubernetesObjectApi;
  private readonly fieldManager: string;
  private readonly log: ApplyLog;
  private readonly scope: string[];
  private readonly shard: string | undefined;
  private readonly concurrency: number;
  private readonly gatewayFilter: string;

  constructor(opts: ApplierOptions) {
    this.client = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
    this.fieldManager = opts.fieldManager ?? FIELD_MANAGER;
    this.log = opts.log ?? SILENT;
    this.scope = opts.scope.namespaces;
    this.shard = opts.shard;
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`apply concurrency must be a whole number from 1, got ${concurrency}`);
    }
    this.concurrency = concurrency;
    this.gatewayFilter = shardedName(filterName('gateway'), opts.shard);
  }

  /**
   * The label selector of the objects it reads: every managed object, of any shard, so that a namespace two shards
   * both claim is found (ours() then tells which it may prune).
   */
  private readonly selector = `${MANAGED_BY_LABEL}=${MANAGER}`;

  /** The shard an object is labelled with, as words for a message. */
  private static shardOf(label: string | undefined): string {
    return label === undefined ? 'no shard' : `shard ${label}`;
  }

  /** What this control service applies, as words for a message. */
  private get applies(): string {
    return this.shard === undefined ? 'unsharded' : `shard ${this.shard}`;
  }

  /**
   * A rendered object whose live copy another shard manages: its namespace is in two shards' allowed namespaces.
   * Writing it would take the object from the other shard, which would take it back at its next apply. An object
   * without a shard label may be taken over by a shard (README.md, Scale: sharding a mesh that ran unsharded).
   */
  private claimedElsewhere(resources: readonly Resource[], live: Map<string, Live>): ApplyError | undefined {
    for (const r of resources) {
      const current = live.get(objectId(r));
      const theirs = current?.metadata.labels?.[SHARD_LABEL];
      if (current === undefined || theirs === this.shard || theirs === undefined) continue;
      const ns = r.metadata.namespace;
      return new ApplyError(
        `${objectId(r)} is managed by ${Applier.shardOf(theirs)}, and this control service applies ` +
          `${this.applies}: namespace ${ns} is in both their ` +
          `allowed namespaces. Give each namespace to one shard only; to move ${ns} here, take it out of ` +
          `${Applier.shardOf(theirs)}'s --allowed-namespaces first (its next apply prunes its objects there), and ` +
          'this apply, retried, takes the namespace over. Nothing was written or pruned',
        objectId(r),
        undefined,
        'namespace in two shards',
        { applied: [], unchanged: [], pruned: [] },
      );
    }
    return undefined;
  }

  private ours(o: Live): boolean {
    return o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGER && o.metadata.labels?.[SHARD_LABEL] === this.shard;
  }

  async apply(resources: readonly Resource[], opts: { dryRun?: boolean } = {}): Promise<ApplyReport> {
    const foreign = resources.find((r) => r.metadata.labels?.[SHARD_LABEL] !== this.shard);
    if (foreign !== undefined) {
      throw new ApplyError(
        `${objectId(foreign)} was rendered for ${Applier.shardOf(foreign.metadata.labels?.[SHARD_LABEL])} but ` +
          `this control service applies ${this.applies}; render and ` +
          "apply with the same render configuration (its `shard`), so a shard never writes another's objects",
        objectId(foreign),
        undefined,
        'shard mismatch',
        { applied: [], unchanged: [], pruned: [] },
      );
    }
    const live = await this.readLive(resources);
    const claimed = this.claimedElsewhere(resources, live);
    if (claimed !== undefined) throw claimed;
    const rendered = new Set(resources.map(objectId));
    const report: ApplyReport = { applied: [], unchanged: [], pruned: [] };
    const writes: Resource[] = [];
    for (const r of resources) {
      const id = objectId(r);
      const current = live.get(id);
      const hash = r.metadata.annotations?.[CONTENT_HASH_ANNOTATION];
      if (current && hash !== undefined && current.metadata.annotations?.[CONTENT_HASH_ANNOTATION] === hash) {
        report.unchanged.push(id);
      } else {
        writes.push(r);
      }
    }
    const stage = (o: Live) => stageRank(o, this.gatewayFilter);
    const stale = [...live.values()]
      .filter((o) => !rendered.has(objectId(o)) && this.ours(o))
      .sort((a, b) => stage(b) - stage(a) || (objectId(a) < objectId(b) ? -1 : 1));

    if (opts.dryRun) {
      report.applied = writes.map(objectId);
      report.pruned = stale.map(objectId);
      report.diff = this.dryRunDiff(writes, stale, live);
      return report;
    }

    report.applied = await this.eachObject(
      writes,
      stage,
      'applied',
      (r) =>
        this.client.patch(
          structuredClone(r) as KubernetesObject,
          undefined,
          undefined,
          this.fieldManager,
          true,
          PatchStrategy.ServerSideApply,
        ),
      (id, done, failure) =>
        `server-side apply of ${id} failed ${failure}; ${writes.length - done - 1} other object(s) ` +
        'were not written and nothing was pruned, so the gateway filter still points only at existing routes; ' +
        'fix what the API server reports and apply again',
      report,
    );
    report.pruned = await this.eachObject(
      stale,
      stage,
      'pruned',
      async (o) => {
        try {
          await this.client.delete({
            apiVersion: o.apiVersion,
            kind: o.kind,
            metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
          });
        } catch (err) {
          // Already gone is what pruning wanted.
          if (httpFailure(err).status !== 404) throw err;
        }
      },
      (id, _done, failure) =>
        `pruning ${id} failed ${failure}; every rendered object was written, ` +
        'the stale ones left are harmless until the next apply prunes them',
      report,
    );
    return report;
  }

  /**
   * One request per object, in render's stages with this applier's concurrency, each logged as `verb` once done. The
   * ids done come back in the objects' order, whatever order requests in flight together finish in. The first
   * failure ends it as an ApplyError carrying the report, its `verb` list set to the ids done so far; `explain` words
   * it (the failed id, how many were done, `(<status>): <message>`).
   */
  private async eachObject<T extends Live>(
    objects: readonly T[],
    stage: (o: Live) => number,
    verb: 'applied' | 'pruned',
    request: (o: T) => Promise<unknown>,
    explain: (id: string, done: number, failure: string) => string,
    report: ApplyReport,
  ): Promise<string[]> {
    const done = new Set<string>();
    const inOrder = () => objects.map(objectId).filter((id) => done.has(id));
    try {
      await runInStages(objects, stage, this.concurrency, async (o) => {
        const id = objectId(o);
        try {
          await request(o);
        } catch (err) {
          throw new ObjectFailure(id, err);
        }
        done.add(id);
        this.log.info({ object: id }, verb);
      });
    } catch (err) {
      if (!(err instanceof ObjectFailure)) throw err;
      report[verb] = inOrder();
      const { status, message } = httpFailure(err.failure);
      throw new ApplyError(
        explain(err.id, report[verb].length, `(${status ?? 'no response'}): ${message}`),
        err.id,
        status,
        message,
        report,
      );
    }
    return inOrder();
  }

  /** Live managed objects (of every shard), of every kind we may write, in every namespace in scope, by object id. */
  private async readLive(resources: readonly Resource[]): Promise<Map<string, Live>> {
    const kinds = new Map<string, Kind>(MANAGED_KINDS.map((k) => [k.kind, k]));
    for (const r of resources) if (!kinds.has(r.kind)) kinds.set(r.kind, { apiVersion: r.apiVersion, kind: r.kind });
    const renderedKinds = new Set(resources.map((r) => r.kind));
    const namespaces = [...new Set([...this.scope, ...resources.map((r) => r.metadata.namespace)])].sort();
    const live = new Map<string, Live>();
    for (const k of kinds.values()) {
      for (const ns of namespaces) {
        let items: KubernetesObject[];
        try {
          const list = await this.client.list(
            k.apiVersion,
            k.kind,
            ns,
            undefined,
            undefined,
            undefined,
            undefined,
            this.selector,
          );
          items = list.items;
        } catch (err) {
          const { status, message } = httpFailure(err);
          const missing = status === 404 || /Unrecognized API version and kind/.test(message);
          // A kind we do not render and whose CRD is absent has nothing of ours to prune.
          if (missing && !renderedKinds.has(k.kind)) break;
          throw new ApplyError(
            missing
              ? `the ${k.crd ?? `${k.apiVersion} ${k.kind}`} CRD is not installed (404 listing ${k.apiVersion} ` +
                  `${k.kind}); install Istio (istioctl install) before running the control service`
              : `listing ${k.kind} in ${ns} failed (${status ?? 'no response'}): ${message}` +
                  (status === 403
                    ? '; grant the control service the RBAC in control/apply/README.md (list, patch, delete)'
                    : ''),
            undefined,
            status,
            message,
            { applied: [], unchanged: [], pruned: [] },
          );
        }
        for (const item of items) {
          const o = { ...item, apiVersion: item.apiVersion ?? k.apiVersion, kind: item.kind ?? k.kind } as Live;
          if (o.metadata?.name && o.metadata.namespace) live.set(objectId(o), o);
        }
      }
    }
    return live;
  }

  private dryRunDiff(writes: readonly Resource[], stale: readonly Live[], live: Map<string, Live>): string {
    const out: string[] = [];
    for (const r of writes) {
      const id = objectId(r);
      const current = live.get(id);
      const after = toYaml([r]);
      if (!current) {
        out.push(`+ create ${id}\n${unifiedDiff('', after)}`);
        continue;
      }
      const view = managedView(
        { ...current, apiVersion: r.apiVersion },
        Object.keys(r.metadata.labels ?? {}),
        Object.keys(r.metadata.annotations ?? {}),
      );
      out.push(`~ update ${id}\n${unifiedDiff(toYaml([view]), after)}`);
    }
    for (const o of stale) {
      const view = managedView(o, [MANAGED_BY_LABEL, PART_OF_LABEL], [CONTENT_HASH_ANNOTATION]);
      out.push(`- prune ${objectId(o)}\n${unifiedDiff(toYaml([view]), '')}`);
    }
    return out.join('');
  }
}
