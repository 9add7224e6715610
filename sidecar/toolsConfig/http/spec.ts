// The validated form of an http tool: where the request goes, and its query, headers, body and expected status.
import type { CommonSpec, Segment } from '../common/spec.js';

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
