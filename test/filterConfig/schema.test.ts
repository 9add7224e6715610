// filter/config.schema.json (DESIGN.md contract 2): its shape is tight (closed objects, bounds, descriptions), the
// examples conform, and every invalid case the parser refuses is refused by the schema too.
import { describe, expect, it } from 'vitest';
import { applyCase, invalidCases } from './cases.js';
import { example, repoFile } from './harness.js';
import { MiniSchema } from './miniSchema.js';

const schema = JSON.parse(repoFile('filter/config.schema.json')) as Record<string, any>;
const validator = new MiniSchema(schema);

// Every subschema with its JSON pointer, skipping boolean schemas (`"identity": false` in a mode's `then`).
function* walk(node: unknown, pointer: string): Generator<[string, Record<string, any>]> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  const s = node as Record<string, any>;
  yield [pointer, s];
  for (const [k, v] of Object.entries(s.properties ?? {})) yield* walk(v, `${pointer}/properties/${k}`);
  for (const [k, v] of Object.entries(s.$defs ?? {})) yield* walk(v, `${pointer}/$defs/${k}`);
  if (s.items) yield* walk(s.items, `${pointer}/items`);
}

const deref = (s: Record<string, any>): Record<string, any> => {
  if (typeof s.$ref !== 'string') return s;
  let node: any = schema;
  for (const part of s.$ref.slice(2).split('/')) node = node[part];
  return { ...deref(node), ...s };
};

describe('the schema document', () => {
  it('is draft 2020-12 with version 1 and the two modes', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.properties.version.const).toBe(1);
    expect(schema.properties.mode.enum).toEqual(['gateway', 'sidecar']);
  });

  it('closes every object and describes every field and definition', () => {
    for (const [pointer, s] of walk(schema, '#')) {
      const full = deref(s);
      if (full.type === 'object') expect(full.additionalProperties, pointer).toBe(false);
      if (pointer.includes('/properties/') || pointer.includes('/$defs/'))
        expect(typeof full.description, `${pointer} has a description`).toBe('string');
    }
  });

  it('bounds every string and array', () => {
    for (const [pointer, s] of walk(schema, '#')) {
      const full = deref(s);
      if (full.type === 'array') expect(typeof full.maxItems, pointer).toBe('number');
      if (full.type === 'string' && !full.enum && !full.const) {
        const fixed = typeof full.pattern === 'string' && /\{\d+\}\$$/.test(full.pattern);
        expect(typeof full.maxLength === 'number' || fixed, pointer).toBe(true);
      }
      if (full.type === 'integer' || full.type === 'number')
        expect(typeof full.maximum === 'number' || 'const' in full, pointer).toBe(true);
    }
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(schema).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(() => deref({ $ref: ref.slice(8, -1) })).not.toThrow();
  });
});

describe('the examples', () => {
  it.each(['gateway', 'sidecar'] as const)('%s.json conforms', (mode) => {
    expect(validator.check(example(mode))).toBeUndefined();
  });
});

describe('invalid documents', () => {
  it.each(invalidCases.filter((c) => c.schema !== false))('$name is refused', (c) => {
    expect(validator.check(applyCase(c))).toBeDefined();
  });

  it.each(invalidCases.filter((c) => c.schema === false))('$name passes the schema (the parser checks it)', (c) => {
    expect(validator.check(applyCase(c))).toBeUndefined();
  });
});
