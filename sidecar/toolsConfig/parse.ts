// parseToolsConfig: tools.yaml text → validated ToolSpecs (pure; every problem reported at once as ConfigErrors).
import { CORE_SCHEMA, loadAll, type YAMLException } from 'js-yaml';
import { MAX_TOOL_NAME, TOOL_NAME } from '../../shared/toolName.js';
import { ConfigError, ConfigErrors } from '../errors.js';
import { COMMAND_KEYS, parseCommand } from './command/parse.js';
import {
  at,
  checkKeys,
  describe,
  isObj,
  type Obj,
  Problems,
  readBool,
  readDuration,
  readInteger,
  readString,
} from './common/fields.js';
import type { KindInput } from './common/kind.js';
import { ParamSet } from './common/params.js';
import type { CacheSpec, CommonSpec } from './common/spec.js';
import { DATABASE_KEYS, parseDatabase } from './database/parse.js';
import { HTTP_KEYS, parseHttp } from './http/parse.js';
import { PROMETHEUS_KEYS, parsePrometheus } from './prometheus/parse.js';
import { GENERIC_TOOL_NAMES, type ToolKind, type ToolSpec } from './spec.js';

export interface ToolsConfigOptions {
  /** the Kubernetes service name: tool names must fit `<service>__<tool>` in 64 characters */
  serviceName: string;
  /** the app's base URL (SidecarSettings.appUrl); full `url:`s on this host count as the app. Default http://localhost:8080 */
  appUrl?: string;
}

export const MAX_TOOLS = 100;

const COMMON_KEYS = ['name', 'description', 'title', 'params', 'read_only', 'destructive', 'idempotent', 'cache'];

const KINDS: Record<
  ToolKind,
  { keys: string[]; parse: (k: KindInput) => Omit<ToolSpec, keyof CommonSpec> | undefined }
> = {
  http: { keys: HTTP_KEYS, parse: parseHttp },
  prometheus: { keys: PROMETHEUS_KEYS, parse: parsePrometheus },
  command: { keys: COMMAND_KEYS, parse: parseCommand },
  database: { keys: DATABASE_KEYS, parse: parseDatabase },
};
const KIND_NAMES = Object.keys(KINDS) as ToolKind[];

/** Short-form keys that tell the kind without `type:`. */
const SHORT_FORM: [string, ToolKind][] = [
  ['endpoint', 'http'],
  ['url', 'http'],
  ['command', 'command'],
  ['prometheus_query', 'prometheus'],
];

export function parseToolsConfig(text: string, file: string, opts: ToolsConfigOptions): ToolSpec[] {
  let docs: unknown[];
  try {
    // loadAll, not load: an empty or comments-only file is no document (load throws on it), and means no tools.
    docs = loadAll(text, { filename: file, schema: CORE_SCHEMA });
  } catch (err) {
    const e = err as YAMLException;
    const where = e.mark ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}` : '';
    throw new ConfigErrors([
      new ConfigError(
        file,
        where,
        `YAML syntax error: ${e.reason ?? e.message}`,
        'fix the YAML at that position (indentation, quotes, a missing ":")',
      ),
    ]);
  }
  if (docs.length > 1) {
    throw new ConfigErrors([
      new ConfigError(
        file,
        '',
        `holds ${docs.length} YAML documents; a tools file is one`,
        'remove the extra "---" lines, or put the tools in one tools: list',
      ),
    ]);
  }
  const doc = docs[0];
  const p = new Problems(file);
  let entries: unknown[] = [];
  let base = 'tools';
  if (doc === null || doc === undefined) return [];
  if (Array.isArray(doc)) entries = doc;
  else if (isObj(doc) && 'tools' in doc) {
    checkKeys(p, doc, '', ['tools'], 'the top level');
    const t = doc['tools'];
    if (Array.isArray(t)) entries = t;
    else if (t !== null && t !== undefined)
      p.add(
        'tools',
        `tools must be a list, got ${describe(t)}`,
        'write each tool as a list item: tools:\n  - name: ...',
      );
  } else if (isObj(doc) && 'name' in doc) {
    base = '';
    p.add(
      '',
      'the file holds a single tool, not a list of tools',
      'put it in a list: start it with "- name: ..." or nest it under tools:',
    );
  } else if (isObj(doc) && isObj(doc['data']) && 'tools.yaml' in doc['data']) {
    p.add(
      '',
      'this is the whole ConfigMap, not its tools.yaml',
      'validate the text under data: tools.yaml (the sidecar reads that key from its volume)',
    );
  } else {
    p.add(
      '',
      `the file must be a list of tools or a mapping with tools:, got ${describe(doc)}`,
      'write tools:\n  - name: my_tool\n    description: ...',
    );
  }
  if (entries.length > MAX_TOOLS)
    p.add(
      base,
      `${entries.length} tools; at most ${MAX_TOOLS} are served`,
      'split the tools over services or drop some',
    );
  const specs: ToolSpec[] = [];
  const seen = new Map<string, string>();
  const appUrl = opts.appUrl ?? 'http://localhost:8080';
  entries.slice(0, MAX_TOOLS).forEach((entry, i) => {
    const path = at(base, i);
    const spec = parseEntry(p, entry, path, opts.serviceName, appUrl);
    if (!spec) return;
    const prev = seen.get(spec.name);
    if (prev) {
      p.add(at(path, 'name'), `tool name "${spec.name}" is already used by ${prev}`, 'give every tool its own name');
      return;
    }
    seen.set(spec.name, path);
    specs.push(spec);
  });
  if (p.errors.length) throw new ConfigErrors(p.errors);
  return specs;
}

const article = (word: string) => (/^[aeiouh]/.test(word) ? 'an' : 'a');

function parseName(p: Problems, entry: Obj, path: string, serviceName: string): string | undefined {
  const name = readString(p, entry, 'name', path, { required: true, fix: 'add name: snake_case_name' });
  if (name === undefined) return undefined;
  const np = at(path, 'name');
  if (!TOOL_NAME.test(name)) {
    p.add(
      np,
      `tool name "${name}" may only use letters, digits, _ and - (1 to 64 characters)`,
      `rename it, e.g. ${name.replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, MAX_TOOL_NAME) || 'my_tool'}`,
    );
    return undefined;
  }
  const full = `${serviceName}__${name}`;
  if (full.length > MAX_TOOL_NAME) {
    p.add(
      np,
      `the full tool name ${full} is ${full.length} characters; MCP clients reject names over ${MAX_TOOL_NAME}`,
      `shorten the name to at most ${Math.max(1, MAX_TOOL_NAME - serviceName.length - 2)} characters`,
    );
    return undefined;
  }
  if ((GENERIC_TOOL_NAMES as readonly string[]).includes(name)) {
    p.add(
      np,
      `"${name}" is a generic tool every sidecar already has`,
      `rename it (e.g. ${name}_custom) or remove it; the generic ${name} is configured with sidecar settings`,
    );
    return undefined;
  }
  return name;
}

function parseCache(p: Problems, entry: Obj, path: string): CacheSpec | undefined {
  const raw = entry['cache'];
  if (raw === undefined || raw === null) return undefined;
  const cp = at(path, 'cache');
  const obj: Obj = isObj(raw) ? raw : { ttl: raw };
  checkKeys(p, obj, cp, ['ttl', 'max_entries'], 'cache');
  const ttlMs = readDuration(p, obj, 'ttl', cp, { min: 1000, max: 3_600_000 });
  if (obj['ttl'] === undefined) p.add(at(cp, 'ttl'), 'cache needs a ttl', 'write cache: {ttl: 30s}');
  const maxEntries = readInteger(p, obj, 'max_entries', cp, { min: 1, max: 10_000, default: 100 });
  return ttlMs === undefined ? undefined : { ttlMs, maxEntries };
}

function parseEntry(
  p: Problems,
  entry: unknown,
  path: string,
  serviceName: string,
  appUrl: string,
): ToolSpec | undefined {
  if (!isObj(entry)) {
    p.add(path, `each tool must be a mapping, got ${describe(entry)}`, 'write - name: ...\n  description: ...');
    return undefined;
  }
  const before = p.count;
  const name = parseName(p, entry, path, serviceName);
  const description = readString(p, entry, 'description', path, {
    required: true,
    fix: 'add description: saying what the tool returns and when to use it (the model reads it to pick tools)',
  });
  const title = readString(p, entry, 'title', path);

  // Long form: type + config; short form: the kind's keys sit next to name.
  let kind: ToolKind | undefined;
  let cfg: Obj = entry;
  let cfgPath = path;
  const typeRaw = entry['type'];
  if (typeRaw !== undefined || entry['config'] !== undefined) {
    if (typeof typeRaw !== 'string' || !KIND_NAMES.includes(typeRaw as ToolKind)) {
      p.add(
        at(path, 'type'),
        typeRaw === undefined ? 'config: needs a type:' : `unknown tool type ${describe(typeRaw)}`,
        `use type: ${KIND_NAMES.join(' | ')}`,
      );
    } else kind = typeRaw as ToolKind;
    cfgPath = at(path, 'config');
    const c = entry['config'];
    if (!isObj(c)) {
      p.add(
        cfgPath,
        c === undefined ? `a tool with type: needs config:` : `config must be a mapping, got ${describe(c)}`,
        'add config: with the settings of the kind, e.g. config: {method: GET, url: ...}',
      );
      return undefined;
    }
    cfg = c;
    if (kind) {
      const kindKeys = KINDS[kind].keys;
      const moveDown = Object.fromEntries(
        kindKeys.filter((k) => k !== 'read_only').map((k) => [k, 'move it under config:']),
      );
      checkKeys(p, entry, path, [...COMMON_KEYS, 'type', 'config'], 'a tool', moveDown);
      const moveUp = Object.fromEntries(
        COMMON_KEYS.filter((k) => k !== 'read_only').map((k) => [
          k,
          'move it up next to name: (it belongs to the tool, not its config)',
        ]),
      );
      checkKeys(p, cfg, cfgPath, kindKeys, `${article(kind)} ${kind} tool's config`, moveUp);
    }
  } else {
    const found = SHORT_FORM.filter(([key]) => entry[key] !== undefined);
    const kinds = [...new Set(found.map(([, k]) => k))];
    if (kinds.length !== 1) {
      p.add(
        path,
        kinds.length
          ? `the tool mixes ${found.map(([k]) => k).join(' and ')}`
          : 'cannot tell what kind of tool this is',
        'give it one of endpoint: (http on the app), command:, prometheus_query:, or type: http|prometheus|command|database with config:',
      );
      return undefined;
    }
    kind = kinds[0]!;
    checkKeys(p, entry, path, [...COMMON_KEYS, ...KINDS[kind].keys], `${article(kind)} ${kind} tool`);
  }

  // read_only may be written next to name or inside config (the pg_stat_activity example puts it there).
  const topRO = readBool(p, entry, 'read_only', path);
  const cfgRO = cfg === entry ? undefined : readBool(p, cfg, 'read_only', cfgPath);
  if (topRO !== undefined && cfgRO !== undefined && topRO !== cfgRO) {
    p.add(
      at(cfgPath, 'read_only'),
      'read_only is set twice with different values',
      'keep one read_only:, next to name:',
    );
  }
  const readOnlyDeclared = topRO !== undefined || cfgRO !== undefined;
  const readOnly = topRO ?? cfgRO ?? true;
  const destructiveRaw = readBool(p, entry, 'destructive', path);
  if (readOnly && destructiveRaw === true) {
    p.add(
      at(path, 'destructive'),
      'a read-only tool cannot be destructive',
      'set read_only: false, or remove destructive: true',
    );
  }
  const idempotent = readBool(p, entry, 'idempotent', path);
  const cache = parseCache(p, entry, path);
  if (cache && !readOnly) {
    p.add(
      at(path, 'cache'),
      'a tool that changes state cannot be cached (a cached call would not happen)',
      'remove cache: or make the tool read-only',
    );
  }
  if (!kind) return undefined;

  const params = new ParamSet(p, entry, path);
  const fields = KINDS[kind].parse({
    p,
    cfg,
    path: cfgPath,
    toolPath: path,
    params,
    readOnly,
    readOnlyDeclared,
    appUrl,
  });
  const paramSpecs = params.finish();
  if (p.count !== before || !fields || name === undefined || description === undefined) return undefined;
  const common: CommonSpec = {
    name,
    description: description.trim(),
    params: paramSpecs,
    readOnly,
    destructive: destructiveRaw ?? !readOnly,
    allowedHosts: [],
    file: p.file,
    path,
  };
  if (title !== undefined) common.title = title;
  if (idempotent !== undefined) common.idempotent = idempotent;
  if (cache) common.cache = cache;
  return { ...common, ...fields } as ToolSpec;
}
