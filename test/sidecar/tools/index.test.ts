// The generic tool list: stable order and the definition rules every tool follows.
import { describe, expect, it } from 'vitest';
import { validateArgs } from '../../../sidecar/args.js';
import { genericTools } from '../../../sidecar/tools/index.js';
import { GENERIC_TOOL_NAMES } from '../../../sidecar/toolsConfig/spec.js';
import type { JsonSchema } from '../../../sidecar/types.js';

describe('genericTools', () => {
  it('lists the six tools in a stable order', () => {
    expect(genericTools.map((t) => t.name)).toEqual([
      'get_health',
      'get_metrics',
      'get_logs',
      'query_envoy',
      'check_endpoints',
      'get_env_vars',
    ]);
    // tools.yaml refuses these names; the list it checks must not drift from the tools that exist
    expect(genericTools.map((t) => t.name)).toEqual([...GENERIC_TOOL_NAMES]);
  });

  it.each(genericTools.map((t) => [t.name, t] as const))('%s is read-only, closed-world and bounded', (_n, tool) => {
    expect(tool.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(tool.title).toBeTruthy();
    expect(tool.description.length).toBeGreaterThan(100);
    expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(tool.inputSchema.type).toBe('object');
    expect(tool.inputSchema.additionalProperties).toBe(false);
    const bounded = (s: JsonSchema): void => {
      expect(s.description ?? 'nested').toBeTruthy();
      if (s.type === 'string' && !s.enum) expect(s.maxLength).toBeGreaterThan(0);
      if (s.type === 'integer' || s.type === 'number') expect(s.maximum).toBeDefined();
      if (s.type === 'array') {
        expect(s.maxItems).toBeDefined();
        bounded(s.items!);
      }
    };
    for (const p of Object.values(tool.inputSchema.properties)) {
      expect(p.description).toBeTruthy();
      bounded(p);
    }
    // The defaults the schema declares are themselves valid arguments.
    expect(validateArgs(tool.inputSchema, tool.name === 'query_envoy' ? { endpoint: 'ready' } : {}).ok).toBe(true);
  });
});
