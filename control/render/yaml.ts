// Resources as multi-document YAML for GitOps and golden files: Kubernetes' usual top-level and metadata order,
// every other mapping sorted by key, long strings never folded.

import { stringify } from 'yaml';
import { sortKeys } from '../../shared/canonicalJson.js';
import type { Resource } from '../types.js';

const TOP = ['apiVersion', 'kind', 'metadata', 'spec', 'data'];
const META = ['name', 'namespace', 'labels', 'annotations'];

function ordered(value: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (value[k] !== undefined) out[k] = value[k];
  for (const k of Object.keys(value).sort()) if (!(k in out)) out[k] = value[k];
  return out;
}

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
