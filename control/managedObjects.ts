// What render and apply agree on about the Istio objects meshmcp manages, so neither stage imports the other: the
// labels apply prunes by (the shard's among them), the content hash it skips unchanged objects by, the filter's name
// (apply removes the gateway filter first), how a shard's objects are named, and the YAML both print them as
// (Kubernetes' usual top-level and metadata order, every other mapping sorted by key, long strings never folded).
import { stringify } from 'yaml';
import { sortKeys } from '../shared/canonicalJson.js';
import type { Resource } from './types.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGER = 'meshmcp-control';
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const CONTENT_HASH_ANNOTATION = 'meshmcp.io/content-hash';
/** The shard whose control service owns an object (README.md, Scale); absent on the objects of an unsharded one. */
export const SHARD_LABEL = 'meshmcp.io/shard';

/**
 * A shard's name for an object that lives in a namespace shards share (the gateway's): `<name>.<shard>`. A dot never
 * occurs in a namespace, a Service or a shard name, and a shard name starts with a letter while the chunks of one
 * VirtualService are `.2`, `.3`…, so two shards (or a shard and an unsharded control service) never write one object.
 */
export const shardedName = (name: string, shard: string | undefined): string =>
  shard === undefined ? name : `${name}.${shard}`;

/** Envoy's name for the filter instance (also the ECDS resource name for a remote module) and its objects' name. */
export const filterName = (mode: 'gateway' | 'sidecar'): string => `meshmcp-${mode}`;

const TOP = ['apiVersion', 'kind', 'metadata', 'spec', 'data'];
const META = ['name', 'namespace', 'labels', 'annotations'];

function ordered(value: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (value[k] !== undefined) out[k] = value[k];
  for (const k of Object.keys(value).sort()) if (!(k in out)) out[k] = value[k];
  return out;
}

/** Resources as multi-document YAML, for GitOps, golden files and apply's diffs. */
export function toYaml(resources: Resource[]): string {
  return resources
    .map((r) => {
      const doc = ordered(
        {
          ...(sortKeys(r) as Record<string, unknown>),
          metadata: ordered(sortKeys(r.metadata) as Record<string, unknown>, META),
        },
        TOP,
      );
      return stringify(doc, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
    })
    .join('---\n');
}
