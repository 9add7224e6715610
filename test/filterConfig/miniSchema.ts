// A small JSON Schema (draft 2020-12) checker for exactly the keywords filter/config.schema.json uses. It throws on
// any other keyword, so the schema cannot gain a rule these tests silently skip. Not a general validator.
type Schema = boolean | { [keyword: string]: unknown };

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'properties',
  'additionalProperties',
  'required',
  'minProperties',
  'maxProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'allOf',
  'if',
  'then',
  'not',
]);

const typeOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

const isType = (v: unknown, t: string): boolean => {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
};

export class MiniSchema {
  constructor(private readonly root: Record<string, unknown>) {}

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
    return node as Schema;
  }

  /** The first problem as `<path>: <keyword>`, or undefined when value conforms. */
  check(value: unknown, schema: Schema = this.root, path = ''): string | undefined {
    if (schema === true) return undefined;
    if (schema === false) return `${path}: false`;
    const s = schema;
    const fail = (keyword: string) => `${path || 'document'}: ${keyword}`;
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`unsupported keyword ${k}`);
    if (typeof s.$ref === 'string') {
      const inner = this.check(value, this.resolve(s.$ref), path);
      if (inner) return inner;
    }
    if (typeof s.type === 'string' && !isType(value, s.type)) return fail('type');
    if ('const' in s && value !== s.const) return fail('const');
    if (Array.isArray(s.enum) && !s.enum.includes(value)) return fail('enum');
    if (typeof value === 'string') {
      const n = [...value].length;
      if (typeof s.minLength === 'number' && n < s.minLength) return fail('minLength');
      if (typeof s.maxLength === 'number' && n > s.maxLength) return fail('maxLength');
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) return fail('pattern');
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) return fail('minimum');
      if (typeof s.maximum === 'number' && value > s.maximum) return fail('maximum');
      if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) return fail('exclusiveMinimum');
    }
    if (Array.isArray(value)) {
      if (typeof s.minItems === 'number' && value.length < s.minItems) return fail('minItems');
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) return fail('maxItems');
      if (s.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
        return fail('uniqueItems');
      if (s.items !== undefined) {
        for (let i = 0; i < value.length; i++) {
          const inner = this.check(value[i], s.items as Schema, `${path}[${i}]`);
          if (inner) return inner;
        }
      }
    }
    if (typeOf(value) === 'object') {
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj);
      const props = (s.properties ?? {}) as Record<string, Schema>;
      if (typeof s.minProperties === 'number' && keys.length < s.minProperties) return fail('minProperties');
      if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) return fail('maxProperties');
      for (const r of (s.required ?? []) as string[]) if (!(r in obj)) return fail(`required ${r}`);
      for (const k of keys) {
        const sub = path ? `${path}.${k}` : k;
        if (k in props) {
          const inner = this.check(obj[k], props[k] as Schema, sub);
          if (inner) return inner;
        } else if (s.additionalProperties === false) {
          return `${sub}: additionalProperties`;
        }
      }
    }
    for (const sub of (s.allOf ?? []) as Schema[]) {
      const inner = this.check(value, sub, path);
      if (inner) return inner;
    }
    if (s.if !== undefined && this.check(value, s.if as Schema, path) === undefined && s.then !== undefined) {
      const inner = this.check(value, s.then as Schema, path);
      if (inner) return inner;
    }
    if (s.not !== undefined && this.check(value, s.not as Schema, path) === undefined) return fail('not');
    return undefined;
  }
}
