// The validated form of a prometheus tool: its PromQL split by quoting context, and the range and series bounds.
import type { CommonSpec } from '../common/spec.js';

/** A PromQL text piece, a parameter, or $SERVICE_NAME; `quote` is the string delimiter around it, if any. */
export type PromPart = string | { param: string; quote?: string } | { env: 'SERVICE_NAME'; quote?: string };

/**
 * Values a param may take where it stands outside a PromQL string: identifiers, durations and numbers, nothing that
 * can end a term. The parser checks enums against it; the executor checks every value again.
 */
export const SAFE_TOKEN = /^[A-Za-z0-9_:.]+$/;

export interface PrometheusSpec extends CommonSpec {
  kind: 'prometheus';
  queries: { name: string; text: string; parts: PromPart[] }[];
  /** written as `query:` (one unnamed query) rather than `queries:` */
  single: boolean;
  range?: { rangeMs: number; stepMs: number };
  prometheusUrl?: string;
  maxSeries: number;
}
