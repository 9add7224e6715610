// What every rendered object shares: managed-by labels and the shard's (apply prunes by them), a content hash of the
// spec's canonical JSON (apply skips unchanged objects by it), and the object size bound.

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonicalJson.js';
import { CONTENT_HASH_ANNOTATION, MANAGED_BY_LABEL, MANAGER, PART_OF_LABEL, SHARD_LABEL } from '../managedObjects.js';
import type { Resource } from '../types.js';
import { RenderError } from './errors.js';

/** Bound on one object's JSON; the API server (etcd) refuses requests above ~1.5 MB. */
export const MAX_OBJECT_BYTES = 1024 * 1024 + 256 * 1024;

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A managed object with its labels (the shard's too, when the control service has one) and content hash; throws
 * when it would be too large to store.
 */
export function resource(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  shard: string | undefined,
): Resource {
  const r: Resource = {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGER,
        [PART_OF_LABEL]: 'meshmcp',
        ...(shard === undefined ? {} : { [SHARD_LABEL]: shard }),
      },
      annotations: { [CONTENT_HASH_ANNOTATION]: sha256Hex(canonicalJson(spec)) },
    },
    spec,
  };
  const bytes = Buffer.byteLength(JSON.stringify(r));
  if (bytes > MAX_OBJECT_BYTES) {
    throw new RenderError(
      `${kind} ${namespace}/${name} would be ${bytes} bytes, above the ${MAX_OBJECT_BYTES}-byte bound under the API ` +
        "server's ~1.5 MB object limit; narrow discovery (ALLOWED_NAMESPACES; or shard the mesh by namespace, " +
        'README.md Scale) or serve fewer tools',
    );
  }
  return r;
}
