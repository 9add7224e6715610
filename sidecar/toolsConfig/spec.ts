// The validated form of one tools.yaml entry: what parseToolsConfig produces and the executors run.
import type { Obj, Problems } from './fields.js';
import type { ParamSet } from './params.js';

export type ParamType = 'string' | 'integer' | 'number' | 'boolean';

export interface ParamSpec {
  name: string;
  type: ParamType;
  description?: string;
  required: boolean;
  default?: string | number | boolean;
  enum?: (string | number)[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  /** command tools: the value may start with '-' (otherwise it could be read as an option) */
  allowDash: boolean;
  /** found as a {placeholder} without a declaration under params: */
  inferred: boolean;
}

/** A template split into literal text and {param} references. */
export type Segment = string | { param: string };

export interface CacheSpec {
  ttlMs: number;
  maxEntries: number;
}

export interface CommonSpec {
  /** the tool name without the `<service>__` prefix */
  name: string;
  title?: string;
  description: string;
  /** in declaration order, inferred placeholders last */
  params: ParamSpec[];
  readOnly: boolean;
  destructive: boolean;
  idempotent?: boolean;
  timeoutMs?: number;
  cache?: CacheSpec;
  /** hosts (host or host:port) the tool reaches besides the app and the sidecar's Prometheus */
  allowedHosts: string[];
  /** where it came from, for messages */
  file: string;
  path: string;
}

export interface HeaderSpec {
  name: string;
  value?: string;
  /** environment variable holding the value; such values are secrets and never echoed */
  valueFrom?: string;
  /** put before the environment value, e.g. "Bearer " */
  prefix?: string;
}

export interface HttpSpec extends CommonSpec {
  kind: 'http';
  method: string;
  /** 'app' (ctx.settings.appUrl, resolved per call) or an allowed origin such as https://api.example.com */
  base: 'app' | string;
  /** path and optional query string after the base; params in the path part are checked for traversal */
  target: Segment[];
  /** the template as written, for descriptions and metric labels (bounded cardinality) */
  targetText: string;
  query: { name: string; value: Segment[] }[];
  headers: HeaderSpec[];
  /** JSON body: a value that is exactly "{param}" keeps the argument's type */
  body?: unknown;
  expectedStatus?: number[];
}

/** A PromQL text piece, a parameter, or $SERVICE_NAME; `quote` is the string delimiter around it, if any. */
export type PromPart = string | { param: string; quote?: string } | { env: 'SERVICE_NAME'; quote?: string };

export interface PrometheusSpec extends CommonSpec {
  kind: 'prometheus';
  queries: { name: string; text: string; parts: PromPart[] }[];
  /** written as `query:` (one unnamed query) rather than `queries:` */
  single: boolean;
  range?: { rangeMs: number; stepMs: number };
  prometheusUrl?: string;
  maxSeries: number;
}

export interface CommandSpec extends CommonSpec {
  kind: 'command';
  command: string;
  /** one template per argv element; a param value never splits or joins elements */
  args: Segment[][];
  /** environment variable names passed through besides PATH */
  env: string[];
  maxOutputBytes: number;
}

export type Bind = { param: string } | { env: string };

export interface DatabaseSpec extends CommonSpec {
  kind: 'database';
  connection: { env: string } | { literal: string };
  /** SQL with $1.. in place of {param} and $ENV references */
  sql: string;
  /** what $1, $2, ... are bound to */
  binds: Bind[];
  /** SELECT-like statements are read through a cursor so at most maxRows + 1 rows are ever fetched */
  cursor: boolean;
  maxRows: number;
}

/** What each kind's parser gets: its config mapping, where it is, and the tool's params and settings so far. */
export interface KindInput {
  p: Problems;
  cfg: Obj;
  /** path of cfg: `tools[2].config`, or `tools[2]` for the short form */
  path: string;
  /** path of the tool entry: `tools[2]` */
  toolPath: string;
  params: ParamSet;
  readOnly: boolean;
  /** true when the entry says read_only (either way) rather than taking the default */
  readOnlyDeclared: boolean;
  appUrl: string;
}

export type ToolSpec = HttpSpec | PrometheusSpec | CommandSpec | DatabaseSpec;
export type ToolKind = ToolSpec['kind'];

/** The generic tools every sidecar has; tools.yaml cannot shadow them. */
export const GENERIC_TOOL_NAMES = [
  'get_health',
  'get_metrics',
  'get_logs',
  'query_envoy',
  'check_endpoints',
  'get_env_vars',
] as const;

export const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;
export const PARAM_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a kind's parser contributes to the spec; the tool-level fields come from parse.ts. */
export type KindFields<S extends ToolSpec> = Omit<S, keyof CommonSpec> & { timeoutMs?: number; allowedHosts: string[] };

/** Bounds for `timeout:`; the sidecar's own default applies when a tool sets none. */
export const TIMEOUT_BOUNDS = { min: 100, max: 300_000 };
