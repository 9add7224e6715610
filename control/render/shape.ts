// A small declarative checker for the operator's render configuration: unknown keys, types, bounds and patterns,
// each failure naming the YAML path and how to fix it. Mirrors the filter/config.schema.json rules it needs.

export interface StringShape {
  kind: 'string';
  min?: number;
  max?: number;
  pattern?: RegExp;
  not?: RegExp;
  hint: string;
}

export type Shape =
  | StringShape
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; exclusiveMin: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'array'; items: Shape; min?: number; max?: number; unique?: boolean }
  | { kind: 'object'; fields: Record<string, Shape>; required?: readonly string[]; exactlyOne?: boolean }
  | { kind: 'map'; key: Shape; value: Shape; min?: number; max?: number };

/** A problem at one path of the input; the caller prefixes the source. */
export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'document'}: ${problem}`);
  }
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`);

export const child = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Throws a ShapeError for the first problem; returns the value unchanged when it conforms. */
export function check(value: unknown, shape: Shape, path = ''): unknown {
  const fail = (problem: string): never => {
    throw new ShapeError(path, problem);
  };
  switch (shape.kind) {
    case 'string': {
      if (typeof value !== 'string') return fail(`must be a string (${shape.hint}), got ${typeName(value)}`);
      const n = [...value].length;
      if ((shape.min !== undefined && n < shape.min) || (shape.max !== undefined && n > shape.max)) {
        fail(`must be ${shape.min ?? 0}-${shape.max ?? 'any'} characters long (${shape.hint}), got ${n}`);
      }
      if ((shape.pattern && !shape.pattern.test(value)) || shape.not?.test(value)) {
        fail(`${JSON.stringify(value.slice(0, 80))} is not ${shape.hint}`);
      }
      return value;
    }
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < shape.min || value > shape.max) {
        fail(`must be a whole number from ${shape.min} to ${shape.max}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= shape.exclusiveMin || value > shape.max) {
        fail(`must be a number above ${shape.exclusiveMin} and at most ${shape.max}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be true or false, got ${JSON.stringify(value)}`);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !shape.values.includes(value)) {
        fail(`must be one of ${shape.values.join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'array': {
      if (!Array.isArray(value)) return fail(`must be a list, got ${typeName(value)}`);
      if (
        (shape.min !== undefined && value.length < shape.min) ||
        (shape.max !== undefined && value.length > shape.max)
      ) {
        fail(`must list ${shape.min ?? 0} to ${shape.max ?? 'any number of'} items, got ${value.length}`);
      }
      value.forEach((item, i) => {
        check(item, shape.items, child(path, i));
      });
      if (shape.unique) {
        const seen = new Set<string>();
        value.forEach((item, i) => {
          const key = JSON.stringify(item);
          if (seen.has(key)) throw new ShapeError(child(path, i), `duplicates an earlier item; list each once`);
          seen.add(key);
        });
      }
      return value;
    }
    case 'map': {
      if (!isPlainObject(value)) return fail(`must be a mapping, got ${typeName(value)}`);
      const entries = Object.entries(value);
      if (
        (shape.min !== undefined && entries.length < shape.min) ||
        (shape.max !== undefined && entries.length > shape.max)
      ) {
        fail(`must have ${shape.min ?? 0} to ${shape.max ?? 'any number of'} entries, got ${entries.length}`);
      }
      for (const [k, v] of entries) {
        check(k, shape.key, child(path, k));
        check(v, shape.value, child(path, k));
      }
      return value;
    }
    case 'object': {
      if (!isPlainObject(value)) return fail(`must be a mapping, got ${typeName(value)}`);
      const known = Object.keys(shape.fields);
      for (const k of Object.keys(value)) {
        if (!(k in shape.fields)) {
          throw new ShapeError(child(path, k), `unknown key; the keys allowed here are ${known.join(', ')}`);
        }
      }
      for (const r of shape.required ?? []) {
        if (value[r] === undefined) fail(`${r} is required`);
      }
      const present = known.filter((k) => value[k] !== undefined);
      if (shape.exactlyOne && present.length !== 1) {
        fail(`must set exactly one of ${known.join(', ')}, got ${present.length ? present.join(' and ') : 'none'}`);
      }
      for (const k of present) check(value[k], shape.fields[k]!, child(path, k));
      return value;
    }
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
