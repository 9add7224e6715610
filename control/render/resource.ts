// What every rendered object shares: managed-by labels (apply prunes by them), a content hash of the spec (apply
// skips unchanged objects by it), canonical JSON, and the object size bound.

import { createHash } from 'node:crypto';
import type { Resource } from '../types.js';
import { RenderError } from './errors.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGER = 'meshmcp-control';
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const CONTENT_HASH_ANNOTATION = 'meshmcp.io/content-hash';
/** Bound on one object's JSON; the API server (etcd) refuses requests above ~1.5 MB. */
export const MAX_OBJECT_BYTES = 1024 * 1024 + 256 * 1024;

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A managed object with its labels and content hash; throws when it would be too large to store. */
export function resource(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Resource {
  const r: Resource = {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGER, [PART_OF_LABEL]: 'meshmcp' },
      annotations: { [CONTENT_HASH_ANNOTATION]: sha256Hex(canonicalJson(spec)) },
    },
    spec,
  };
  const bytes = Buffer.byteLength(JSON.stringify(r));
  if (bytes > MAX_OBJECT_BYTES) {
    throw new RenderError(
      `${kind} ${namespace}/${name} would be ${bytes} bytes, above the ${MAX_OBJECT_BYTES}-byte bound under the API ` +
        "server's ~1.5 MB object limit; narrow discovery (ALLOWED_NAMESPACES) or serve fewer tools",
    );
  }
  return r;
}
