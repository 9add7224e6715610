// A small line diff for apply's dry run: longest common subsequence, printed unified-style with context. Pure.

export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

/**
 * Above this many LCS table cells (after trimming the common head and tail) the changed block is shown as removed
 * and re-added: still correct, just less minimal, and bounded in memory for very large objects.
 */
export const MAX_LCS_CELLS = 4_000_000;

/** The edit script turning `before` into `after`; removals come before additions within a changed block. */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > head && endAfter > head && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const a = before.slice(head, endBefore);
  const b = after.slice(head, endAfter);
  const middle =
    a.length * b.length > MAX_LCS_CELLS
      ? [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))]
      : lcsScript(a, b);
  return [
    ...before.slice(0, head).map((line) => ({ op: ' ' as const, line })),
    ...middle,
    ...before.slice(endBefore).map((line) => ({ op: ' ' as const, line })),
  ];
}

function lcsScript(a: readonly string[], b: readonly string[]): DiffLine[] {
  const width = b.length + 1;
  // table[i * width + j] = length of the LCS of a[i..] and b[j..].
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * width + j] =
        a[i] === b[j]
          ? table[(i + 1) * width + j + 1]! + 1
          : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) {
      out.push({ op: '-', line: a[i++]! });
    } else {
      out.push({ op: '+', line: b[j++]! });
    }
  }
  while (i < a.length) out.push({ op: '-', line: a[i++]! });
  while (j < b.length) out.push({ op: '+', line: b[j++]! });
  return out;
}

/** Text → lines, without the empty line a trailing newline would add. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Unified-style hunks (`@@ -start,count +start,count @@`, then `  `, `- `, `+ ` lines) with `context` unchanged
 * lines around each change; '' when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const script = diffLines(splitLines(before), splitLines(after));
  const changed: number[] = [];
  script.forEach((d, i) => {
    if (d.op !== ' ') changed.push(i);
  });
  if (changed.length === 0) return '';
  // Merge the windows around changes that overlap or touch into hunks.
  const hunks: Array<[number, number]> = [];
  for (const i of changed) {
    const from = Math.max(0, i - context);
    const to = Math.min(script.length, i + context + 1);
    const last = hunks[hunks.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else hunks.push([from, to]);
  }
  const out: string[] = [];
  let oldLine = 1;
  let newLine = 1;
  let at = 0;
  for (const [from, to] of hunks) {
    for (; at < from; at++) {
      if (script[at]!.op !== '+') oldLine++;
      if (script[at]!.op !== '-') newLine++;
    }
    const body = script.slice(from, to);
    const oldCount = body.filter((d) => d.op !== '+').length;
    const newCount = body.filter((d) => d.op !== '-').length;
    out.push(
      `@@ -${oldCount === 0 ? oldLine - 1 : oldLine},${oldCount} +${newCount === 0 ? newLine - 1 : newLine},${newCount} @@`,
    );
    for (const d of body) out.push(`${d.op} ${d.line}`);
  }
  return `${out.join('\n')}\n`;
}
