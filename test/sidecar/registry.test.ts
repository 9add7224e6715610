// The tool registry's list version: what tells a stale tools/list pagination cursor from a fresh one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listVersion, ToolRegistry } from '../../sidecar/registry.js';
import type { Tool } from '../../sidecar/types.js';

const tool = (name: string, description = `${name} tool`): Tool =>
  ({
    name,
    description,
    inputSchema: { type: 'object', properties: {} },
    run: async () => ({ content: [] }),
  }) as unknown as Tool;

describe('listVersion', () => {
  it('is 12 base-36 characters, the same for the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const v = listVersion(s);
        expect(v).toMatch(/^[0-9a-z]{12}$/);
        expect(listVersion(s)).toBe(v);
      }),
    );
  });

  it('changes when any one code unit of the text changes', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 0xfffe }),
        (s, at, d) => {
          const i = at % s.length;
          const changed = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) + d) % 0xffff) + s.slice(i + 1);
          fc.pre(changed !== s);
          expect(listVersion(changed)).not.toBe(listVersion(s));
        },
      ),
    );
  });
});

describe('ToolRegistry.version', () => {
  it('follows the list: same tools, same version; a changed description, a new version', () => {
    const r = new ToolRegistry([tool('get_health')]);
    const generic = r.version;
    r.setFileTools([tool('check_disk_space')]);
    const withFile = r.version;
    expect(withFile).not.toBe(generic);
    r.setFileTools([tool('check_disk_space')]);
    expect(r.version).toBe(withFile);
    r.setFileTools([tool('check_disk_space', 'Free space on the data volume.')]);
    expect(r.version).not.toBe(withFile);
    r.setFileTools([]);
    expect(r.version).toBe(generic);
  });
});
