// The contract of a kind's parser: what it is given (its config, where it is, the tool's params and settings) and
// what it returns (its own fields of the spec).
import type { Obj, Problems } from './fields.js';
import type { ParamSet } from './params.js';
import type { CommonSpec } from './spec.js';

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

/** What a kind's parser contributes to the spec; the tool-level fields come from parse.ts. */
export type KindFields<S extends CommonSpec> = Omit<S, keyof CommonSpec> & {
  timeoutMs?: number;
  allowedHosts: string[];
};
