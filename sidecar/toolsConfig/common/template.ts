// {param} templates, parsed at load and rendered per call, and the quote-aware splitter for short-form `command:`
// strings (which never reach a shell).
import { ToolError } from '../../errors.js';
import type { Segment } from './spec.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Splits text into literals and {param} references; anything that is not `{identifier}` stays literal. */
export function parseTemplate(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push({ param: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function templateParams(segments: readonly Segment[]): string[] {
  return segments.flatMap((s) => (typeof s === 'string' ? [] : [s.param]));
}

/** A scalar argument as text; objects never reach here because params are scalars. */
export function argText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** True when every param the template uses has a value (optional ones may be absent). */
export function hasAll(segments: readonly Segment[], args: Record<string, unknown>): boolean {
  return segments.every((s) => typeof s === 'string' || args[s.param] !== undefined);
}

/** Renders a template; `each` checks and encodes one value for its context. */
export function render(
  segments: readonly Segment[],
  args: Record<string, unknown>,
  each: (value: string, name: string, index: number) => string,
): string {
  let out = '';
  segments.forEach((s, i) => {
    if (typeof s === 'string') out += s;
    else {
      const v = args[s.param];
      if (v === undefined) throw new ToolError(`argument ${s.param} is required`);
      out += each(argText(v), s.param, i);
    }
  });
  return out;
}

export type SplitResult = { ok: true; argv: string[] } | { ok: false; problem: string };

const SHELL_ONLY =
  'commands run without a shell, so pipes, lists, redirections, substitutions, variables and globs are not available';

/**
 * Splits a command line the way a POSIX shell splits words, for the quoting people already write: 'single',
 * "double" (with \" \\ escapes) and backslash escapes. Everything a shell would interpret beyond that is rejected,
 * because silently passing `|` or `$HOME` through literally would run something other than what the author meant.
 */
export function splitCommand(line: string): SplitResult {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  const fail = (what: string, i: number): SplitResult => ({
    ok: false,
    problem: `${what} at position ${i + 1} of ${JSON.stringify(line)}: ${SHELL_ONLY}`,
  });
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, problem: `unterminated ' quote in ${JSON.stringify(line)}` };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= line.length) return { ok: false, problem: `unterminated " quote in ${JSON.stringify(line)}` };
        const d = line[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) {
          word += line[j + 1];
          j += 2;
          continue;
        }
        if (d === '$') return fail('"$" (variable or command substitution)', j);
        if (d === '`') return fail('"`" (command substitution)', j);
        word += d;
        j++;
      }
      inWord = true;
      i = j + 1;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= line.length) return { ok: false, problem: `trailing backslash in ${JSON.stringify(line)}` };
      word += line[i + 1];
      inWord = true;
      i += 2;
      continue;
    }
    if ('|&;<>()'.includes(c)) return fail(`"${c}" (a shell operator)`, i);
    if (c === '$') return fail('"$" (variable or command substitution)', i);
    if (c === '`') return fail('"`" (command substitution)', i);
    if ('*?['.includes(c)) return fail(`"${c}" (a glob; quote it if it is meant literally)`, i);
    if ((c === '~' || c === '#') && !inWord) return fail(`"${c}" at the start of a word`, i);
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, problem: 'the command is empty' };
  return { ok: true, argv };
}
