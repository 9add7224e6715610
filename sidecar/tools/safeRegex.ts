// Compiles regular expressions that come from tool arguments, refusing the shapes that backtrack catastrophically.
// JavaScript regexes cannot be interrupted, so one bad pattern run over log lines could stall the whole sidecar.
import { ToolError } from '../errors.js';

export const MAX_PATTERN_LENGTH = 256;
/** Unbounded quantifiers allowed in one pattern; several in a row make matching polynomial in the subject. */
const MAX_UNBOUNDED = 4;

interface Group {
  quantified: boolean;
  alternation: boolean;
}

/**
 * Compiles pattern or throws a ToolError naming the argument and the fix. Refused: over-long patterns,
 * backreferences, a repeated group that itself repeats or alternates ((a+)+, (a|aa)*), and more than a few
 * unbounded quantifiers. Callers also bound the subject length.
 */
export function compileSafeRegex(pattern: string, argName: string, flags = ''): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new ToolError(`${argName} is too long (${pattern.length} characters, at most ${MAX_PATTERN_LENGTH})`);
  }
  const problem = riskyShape(pattern);
  if (problem) throw new ToolError(`${argName} ${JSON.stringify(pattern)} is refused: ${problem}`);
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    throw new ToolError(`${argName} is not a valid regular expression: ${(err as Error).message}`);
  }
}

function riskyShape(p: string): string | undefined {
  const stack: Group[] = [{ quantified: false, alternation: false }];
  let unbounded = 0;
  let i = 0;
  // Reads the quantifier at p[i], if any: returns whether it repeats more than once and where it ends.
  const quantifierAt = (at: number): { repeats: boolean; unbounded: boolean; end: number } | undefined => {
    const c = p[at];
    if (c === '*' || c === '+') return { repeats: true, unbounded: true, end: at + 1 };
    if (c === '?') return { repeats: false, unbounded: false, end: at + 1 };
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(at));
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      return { repeats: max > 1, unbounded: max === Number.POSITIVE_INFINITY, end: at + m[0].length };
    }
    return undefined;
  };
  const afterAtom = (at: number, inner?: Group): number | string => {
    const q = quantifierAt(at);
    if (!q) return at;
    const top = stack[stack.length - 1]!;
    if (q.unbounded && ++unbounded > MAX_UNBOUNDED) {
      return `more than ${MAX_UNBOUNDED} unbounded repetitions (*, +, {n,}); use a more specific pattern`;
    }
    if (inner && q.repeats && (inner.quantified || inner.alternation)) {
      return 'a repeated group contains a repetition or an alternation (like (a+)+ or (a|b)*), which can take exponential time; repeat a simple group instead';
    }
    top.quantified = true;
    let end = q.end;
    if (p[end] === '?') end++; // lazy modifier
    return end;
  };
  while (i < p.length) {
    const c = p[i]!;
    let next: number | string;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') return 'backreferences are not supported';
      next = afterAtom(i + 2);
    } else if (c === '[') {
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') j += p[j] === '\\' ? 2 : 1;
      next = afterAtom(j + 1);
    } else if (c === '(') {
      stack.push({ quantified: false, alternation: false });
      next = i + 1;
      const m = /^\?(?::|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(p.slice(i + 1));
      if (m) next += m[0].length;
    } else if (c === ')') {
      if (stack.length === 1) return undefined; // unbalanced: let the compiler report it
      const inner = stack.pop()!;
      const top = stack[stack.length - 1]!;
      top.quantified ||= inner.quantified;
      top.alternation ||= inner.alternation;
      next = afterAtom(i + 1, inner);
    } else if (c === '|') {
      stack[stack.length - 1]!.alternation = true;
      next = i + 1;
    } else {
      next = afterAtom(i + 1);
    }
    if (typeof next === 'string') return next;
    i = next;
  }
  return undefined;
}
