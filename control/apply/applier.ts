// apply: writes rendered resources with server-side apply, in render's order, skips unchanged ones and prunes the
// managed objects no longer rendered (README.md). Built from a KubeConfig; plain Kubernetes REST, any API server.
import { type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import {
  CONTENT_HASH_ANNOTATION,
  filterName,
  MANAGED_BY_LABEL,
  MANAGER,
  PART_OF_LABEL,
  toYaml,
} from '../managedObjects.js';
import type { Resource } from '../types.js';
import { unifiedDiff } from './diff.js';

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
 * Removal goes the other way of render's creation order: the gateway filter (already rewritten to drop stale
 * routes), then routes, then sidecar filters, and the sidecar lockdown (AuthorizationPolicy) last.
 */
function pruneRank(o: Live): number {
  if (o.kind === 'AuthorizationPolicy') return 0;
  if (o.kind === 'VirtualService' || o.kind === 'DestinationRule') return 2;
  if (o.metadata.name === filterName('gateway')) return 3;
  return 1;
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

  constructor(opts: ApplierOptions) {
    this.client = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
    this.fieldManager = opts.fieldManager ?? FIELD_MANAGER;
    this.log = opts.log ?? SILENT;
    this.scope = opts.scope.namespaces;
  }

  async apply(resources: readonly Resource[], opts: { dryRun?: boolean } = {}): Promise<ApplyReport> {
    const live = await this.readLive(resources);
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
    const stale = [...live.values()]
      .filter((o) => !rendered.has(objectId(o)) && o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGER)
      .sort((a, b) => pruneRank(b) - pruneRank(a) || (objectId(a) < objectId(b) ? -1 : 1));

    if (opts.dryRun) {
      report.applied = writes.map(objectId);
      report.pruned = stale.map(objectId);
      report.diff = this.dryRunDiff(writes, stale, live);
      return report;
    }

    for (const r of writes) {
      const id = objectId(r);
      try {
        await this.client.patch(
          structuredClone(r) as KubernetesObject,
          undefined,
          undefined,
          this.fieldManager,
          true,
          PatchStrategy.ServerSideApply,
        );
      } catch (err) {
        const { status, message } = httpFailure(err);
        throw new ApplyError(
          `server-side apply of ${id} failed (${status ?? 'no response'}): ${message}; ` +
            `${writes.length - report.applied.length - 1} later object(s) ` +
            'were not written and nothing was pruned, so the gateway filter still points only at existing routes; ' +
            'fix what the API server reports and apply again',
          id,
          status,
          message,
          report,
        );
      }
      report.applied.push(id);
      this.log.info({ object: id }, 'applied');
    }

    for (const o of stale) {
      const id = objectId(o);
      try {
        await this.client.delete({
          apiVersion: o.apiVersion,
          kind: o.kind,
          metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
        });
      } catch (err) {
        const { status, message } = httpFailure(err);
        if (status !== 404) {
          throw new ApplyError(
            `pruning ${id} failed (${status ?? 'no response'}): ${message}; every rendered object was written, ` +
              'the stale ones left are harmless until the next apply prunes them',
            id,
            status,
            message,
            report,
          );
        }
      }
      report.pruned.push(id);
      this.log.info({ object: id }, 'pruned');
    }
    return report;
  }

  /** Live managed objects of every kind we may write, in every namespace in scope, by object id. */
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
            `${MANAGED_BY_LABEL}=${MANAGER}`,
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
