// Validates tool arguments against the tool's input schema (the JSON Schema subset of types.ts) and applies
// defaults. Errors read like advice to the model: which argument, what was wrong, what is expected.
import type { JsonSchema, ObjectSchema } from './types.js';

/** Strings without their own maxLength are still bounded. */
export const DEFAULT_MAX_STRING = 8192;

export type ArgsResult = { ok: true; value: Record<string, unknown> } | { ok: false; errors: string[] };

export function validateArgs(schema: ObjectSchema, input: unknown): ArgsResult {
  const errors: string[] = [];
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: ['arguments must be an object'] };
  }
  const value = check(schema, input, 'arguments', errors) as Record<string, unknown>;
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer';
  return typeof v;
}

function check(schema: JsonSchema, v: unknown, path: string, errors: string[]): unknown {
  switch (schema.type) {
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        errors.push(`${path} must be an object, got ${typeName(v)}`);
        return v;
      }
      const obj = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      for (const req of schema.required ?? []) {
        if (obj[req] === undefined) errors.push(`${path}.${req} is required`);
      }
      for (const [k, val] of Object.entries(obj)) {
        const ps = props[k];
        if (!ps) {
          if (schema.additionalProperties === false) {
            const known = Object.keys(props);
            errors.push(`${path}.${k} is not a known argument${known.length ? ` (known: ${known.join(', ')})` : ''}`);
          }
          continue;
        }
        if (val === undefined) continue;
        out[k] = check(ps, val, `${path}.${k}`, errors);
      }
      for (const [k, ps] of Object.entries(props)) {
        if (out[k] === undefined && ps.default !== undefined) out[k] = ps.default;
      }
      return out;
    }
    case 'string': {
      if (typeof v !== 'string') {
        errors.push(`${path} must be a string, got ${typeName(v)}`);
        return v;
      }
      const max = schema.maxLength ?? DEFAULT_MAX_STRING;
      if (v.length > max) errors.push(`${path} is too long (${v.length} characters, at most ${max})`);
      if (schema.minLength !== undefined && v.length < schema.minLength) {
        errors.push(`${path} is too short (at least ${schema.minLength} characters)`);
      }
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(v)) {
        errors.push(`${path} must match ${schema.pattern}`);
      }
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v) || (schema.type === 'integer' && !Number.isInteger(v))) {
        errors.push(`${path} must be ${schema.type === 'integer' ? 'an integer' : 'a number'}, got ${typeName(v)}`);
        return v;
      }
      if (schema.minimum !== undefined && v < schema.minimum) errors.push(`${path} must be >= ${schema.minimum}`);
      if (schema.maximum !== undefined && v > schema.maximum) errors.push(`${path} must be <= ${schema.maximum}`);
      break;
    }
    case 'boolean':
      if (typeof v !== 'boolean') errors.push(`${path} must be true or false, got ${typeName(v)}`);
      break;
    case 'array': {
      if (!Array.isArray(v)) {
        errors.push(`${path} must be an array, got ${typeName(v)}`);
        return v;
      }
      if (schema.maxItems !== undefined && v.length > schema.maxItems) {
        errors.push(`${path} has too many items (at most ${schema.maxItems})`);
        return v;
      }
      return schema.items ? v.map((item, i) => check(schema.items!, item, `${path}[${i}]`, errors)) : v;
    }
  }
  if (schema.enum && !schema.enum.includes(v as string | number)) {
    errors.push(`${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  return v;
}
