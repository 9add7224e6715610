// The parts of a tool spec every kind shares: params, templates and the tool-level fields.

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

export const PARAM_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Bounds for `timeout:`; the sidecar's own default applies when a tool sets none. */
export const TIMEOUT_BOUNDS = { min: 100, max: 300_000 };
