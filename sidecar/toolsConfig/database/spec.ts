// The validated form of a database tool: one read-only statement with its bound parameters and row cap.
import type { CommonSpec } from '../common/spec.js';

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
