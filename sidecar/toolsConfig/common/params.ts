// Tool parameters: the `params:` declarations, placeholders inferred from templates, and the inputSchema an LLM sees.
import type { JsonSchema, ObjectSchema } from '../../types.js';
import { at, checkKeys, describe, didYouMean, isObj, type Obj, type Problems, readBool, readString } from './fields.js';
import { PARAM_NAME_RE, type ParamSpec, type ParamType } from './spec.js';

const TYPES: readonly ParamType[] = ['string', 'integer', 'number', 'boolean'];
const PARAM_KEYS = [
  'type',
  'description',
  'required',
  'default',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'max_length',
  'allow_dash',
];
/** Inferred string params get a bound tighter than the global one: they end up in URLs, argv and queries. */
const INFERRED_MAX_LENGTH = 1024;

function fitsType(v: unknown, type: ParamType): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
  }
}

function readParam(p: Problems, name: string, raw: unknown, path: string): ParamSpec | undefined {
  if (typeof raw === 'string') raw = { type: raw };
  if (raw === null || raw === undefined) raw = {};
  if (!isObj(raw)) {
    p.add(
      path,
      `param "${name}" must be a mapping or a type name, got ${describe(raw)}`,
      'write e.g. `id: {type: string, description: ...}`',
    );
    return undefined;
  }
  const before = p.count;
  checkKeys(p, raw, path, PARAM_KEYS, 'a param', {
    min: 'write minimum:',
    max: 'write maximum:',
    maxLength: 'write max_length:',
    allowDash: 'write allow_dash:',
    values: 'write enum: [a, b]',
  });
  const type = (raw['type'] ?? 'string') as ParamType;
  if (!TYPES.includes(type)) {
    p.add(at(path, 'type'), `unknown param type ${describe(raw['type'])}`, `use one of ${TYPES.join(', ')}`);
    return undefined;
  }
  const spec: ParamSpec = { name, type, required: true, allowDash: false, inferred: false };
  const description = readString(p, raw, 'description', path);
  if (description !== undefined) spec.description = description.trim();
  const numeric = type === 'integer' || type === 'number';
  if (raw['enum'] !== undefined) {
    const e = raw['enum'];
    if (!Array.isArray(e) || e.length === 0 || e.some((x) => !fitsType(x, type) || typeof x === 'boolean')) {
      p.add(
        at(path, 'enum'),
        `enum must be a non-empty list of ${type} values`,
        `write enum: [a, b] with ${type} values`,
      );
    } else spec.enum = e as (string | number)[];
  }
  const pattern = readString(p, raw, 'pattern', path);
  if (pattern !== undefined) {
    if (type !== 'string') p.add(at(path, 'pattern'), `pattern only applies to string params`, 'remove it');
    else {
      try {
        new RegExp(pattern, 'u');
        spec.pattern = pattern;
      } catch (err) {
        p.add(
          at(path, 'pattern'),
          `pattern is not a valid regular expression: ${(err as Error).message}`,
          'fix the regular expression (JavaScript syntax, u flag)',
        );
      }
    }
  }
  for (const [key, field] of [
    ['minimum', 'minimum'],
    ['maximum', 'maximum'],
  ] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!numeric) p.add(at(path, key), `${key} only applies to integer and number params`, 'remove it');
    else if (typeof v !== 'number' || !Number.isFinite(v))
      p.add(at(path, key), `${key} must be a number`, `write ${key}: 0`);
    else spec[field] = v;
  }
  const maxLength = raw['max_length'];
  if (maxLength !== undefined) {
    if (type !== 'string') p.add(at(path, 'max_length'), 'max_length only applies to string params', 'remove it');
    else if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1) {
      p.add(at(path, 'max_length'), 'max_length must be a positive integer', 'write max_length: 64');
    } else spec.maxLength = maxLength;
  }
  spec.allowDash = readBool(p, raw, 'allow_dash', path) ?? false;
  if (raw['default'] !== undefined) {
    const d = raw['default'];
    if (!fitsType(d, type)) {
      p.add(at(path, 'default'), `default ${describe(d)} is not a ${type}`, `give a ${type} default or change type:`);
    } else if (spec.enum && !spec.enum.includes(d as string | number)) {
      p.add(at(path, 'default'), `default ${describe(d)} is not one of the enum values`, 'pick a default from enum:');
    } else if (spec.pattern && typeof d === 'string' && !new RegExp(spec.pattern, 'u').test(d)) {
      p.add(
        at(path, 'default'),
        `default ${describe(d)} does not match pattern`,
        'pick a default that matches pattern:',
      );
    } else spec.default = d as string | number | boolean;
  }
  // Required unless there is a default or the author says otherwise: a missing argument is then simply left out.
  spec.required = readBool(p, raw, 'required', path) ?? spec.default === undefined;
  if (spec.required && spec.default !== undefined) {
    p.add(at(path, 'required'), 'a param with a default cannot be required', 'remove required: true or the default');
  }
  return p.count === before ? spec : undefined;
}

/** The declared params of a tool plus the placeholders its templates use; reports unused declarations. */
export class ParamSet {
  private readonly declared = new Map<string, ParamSpec>();
  private readonly inferred = new Map<string, ParamSpec>();
  private readonly used = new Set<string>();
  private readonly paramsPath: string;

  constructor(
    private readonly p: Problems,
    tool: Obj,
    toolPath: string,
  ) {
    this.paramsPath = at(toolPath, 'params');
    const raw = tool['params'];
    if (raw === undefined || raw === null) return;
    if (!isObj(raw)) {
      p.add(
        this.paramsPath,
        `params must be a mapping of name to declaration, got ${describe(raw)}`,
        'write params: {id: {type: string, description: ...}}',
      );
      return;
    }
    for (const [name, decl] of Object.entries(raw)) {
      const path = at(this.paramsPath, name);
      if (!PARAM_NAME_RE.test(name)) {
        p.add(
          path,
          `param name "${name}" is not an identifier`,
          'use letters, digits and _ (not starting with a digit)',
        );
        continue;
      }
      const spec = readParam(p, name, decl, path);
      if (spec) this.declared.set(name, spec);
    }
  }

  get(name: string): ParamSpec | undefined {
    return this.declared.get(name) ?? this.inferred.get(name);
  }

  /** The param a template references; an undeclared one becomes a required string described by `purpose`. */
  use(name: string, path: string, purpose: string): ParamSpec | undefined {
    this.used.add(name);
    const known = this.get(name);
    if (known) return known;
    const near = didYouMean(name, [...this.declared.keys()]);
    if (near && !this.used.has(near)) {
      this.p.add(
        path,
        `{${name}} is not a declared param`,
        `did you mean {${near}}? Otherwise declare ${name} under params:`,
      );
      return undefined;
    }
    const spec: ParamSpec = {
      name,
      type: 'string',
      required: true,
      maxLength: INFERRED_MAX_LENGTH,
      description: purpose,
      allowDash: false,
      inferred: true,
    };
    this.inferred.set(name, spec);
    return spec;
  }

  /** All params, declared first; an unused declaration is an error since the model would pass it for nothing. */
  finish(): ParamSpec[] {
    for (const name of this.declared.keys()) {
      if (!this.used.has(name)) {
        this.p.add(
          at(this.paramsPath, name),
          `param "${name}" is declared but never used`,
          `use {${name}} in the tool's template or remove the declaration`,
        );
      }
    }
    return [...this.declared.values(), ...this.inferred.values()];
  }
}

/** The inputSchema of a tool: closed (additionalProperties: false) so a misspelled argument is an error. */
export function buildInputSchema(params: readonly ParamSpec[]): ObjectSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const ps of params) {
    const s: JsonSchema = { type: ps.type };
    const hints: string[] = [];
    if (ps.description) hints.push(/[.!?]$/.test(ps.description) ? ps.description : `${ps.description}.`);
    if (!ps.required && ps.default === undefined) hints.push('Optional.');
    s.description = hints.join(' ') || `The ${ps.name} value.`;
    if (ps.enum) s.enum = ps.enum;
    if (ps.pattern !== undefined) s.pattern = ps.pattern;
    if (ps.minimum !== undefined) s.minimum = ps.minimum;
    if (ps.maximum !== undefined) s.maximum = ps.maximum;
    if (ps.maxLength !== undefined) s.maxLength = ps.maxLength;
    if (ps.default !== undefined) s.default = ps.default;
    properties[ps.name] = s;
    if (ps.required) required.push(ps.name);
  }
  const schema: ObjectSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length) schema.required = required;
  return schema;
}
