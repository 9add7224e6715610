// The validated form of one tools.yaml entry: what parseToolsConfig produces and the kinds' executors run.
import type { CommandSpec } from './command/spec.js';
import type { DatabaseSpec } from './database/spec.js';
import type { HttpSpec } from './http/spec.js';
import type { PrometheusSpec } from './prometheus/spec.js';

export type { CommandSpec } from './command/spec.js';
export type { CacheSpec, CommonSpec, ParamSpec, ParamType, Segment } from './common/spec.js';
export type { Bind, DatabaseSpec } from './database/spec.js';
export type { HeaderSpec, HttpSpec } from './http/spec.js';
export type { PrometheusSpec, PromPart } from './prometheus/spec.js';

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
