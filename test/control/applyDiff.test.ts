// The dry run's line diff: a minimal edit script (checked against the LCS length), unified-style hunks with context.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffLines, splitLines, unifiedDiff } from '../../control/apply/diff.js';

describe('diffLines', () => {
  it('keeps the common lines and marks the rest', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([
      { op: ' ', line: 'a' },
      { op: '-', line: 'b' },
      { op: '+', line: 'x' },
      { op: ' ', line: 'c' },
    ]);
    expect(diffLines([], ['a'])).toEqual([{ op: '+', line: 'a' }]);
    expect(diffLines(['a'], [])).toEqual([{ op: '-', line: 'a' }]);
  });

  it('finds a longest common subsequence, and replaying the script gives both sides', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 });
    fc.assert(
      fc.property(lines, lines, (before, after) => {
        const script = diffLines(before, after);
        expect(script.filter((d) => d.op !== '+').map((d) => d.line)).toEqual(before);
        expect(script.filter((d) => d.op !== '-').map((d) => d.line)).toEqual(after);
        expect(script.filter((d) => d.op === ' ').length).toBe(lcsLength(before, after));
      }),
    );
  });
});

function lcsLength(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
    }
  }
  return t[a.length]![b.length]!;
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('prints hunks with line numbers and context, merging nearby changes', () => {
    const before = `${Array.from({ length: 20 }, (_, i) => `line${i + 1}`).join('\n')}\n`;
    const after = before.replace('line2\n', 'LINE2\n').replace('line4\n', 'LINE4\n').replace('line18\n', '');
    expect(unifiedDiff(before, after, 1)).toBe(
      [
        '@@ -1,5 +1,5 @@',
        '  line1',
        '- line2',
        '+ LINE2',
        '  line3',
        '- line4',
        '+ LINE4',
        '  line5',
        '@@ -17,3 +17,2 @@',
        '  line17',
        '- line18',
        '  line19',
        '',
      ].join('\n'),
    );
  });

  it('shows a creation and a removal whole', () => {
    expect(unifiedDiff('', 'a\nb\n')).toBe('@@ -0,0 +1,2 @@\n+ a\n+ b\n');
    expect(unifiedDiff('a\n', '')).toBe('@@ -1,1 +0,0 @@\n- a\n');
  });

  it('splits text into lines without a trailing empty one', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
  });

  it('stays bounded for large changed blocks (shown as removed, then added)', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `a${i}`).join('\n');
    const after = Array.from({ length: 3000 }, (_, i) => `b${i}`).join('\n');
    const script = diffLines(splitLines(before), splitLines(after));
    expect(script.length).toBe(6000);
    expect(script[0]!.op).toBe('-');
    expect(script[5999]!.op).toBe('+');
  });
});
