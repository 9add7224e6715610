// The validated form of a command tool: a program, one template per argv element, and the environment it may see.
import type { CommonSpec, Segment } from '../common/spec.js';

export interface CommandSpec extends CommonSpec {
  kind: 'command';
  command: string;
  /** one template per argv element; a param value never splits or joins elements */
  args: Segment[][];
  /** environment variable names passed through besides PATH */
  env: string[];
  maxOutputBytes: number;
}
