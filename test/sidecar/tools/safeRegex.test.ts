// The guard on regexes from tool arguments: ordinary patterns pass, catastrophic shapes are refused.
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { compileSafeRegex } from '../../../sidecar/tools/safeRegex.js';

describe('compileSafeRegex', () => {
  it.each([
    'code="5..',
    '^http_.*_total',
    '(GET|POST) /api',
    '\\d+ms',
    '[a-z]+_total$',
    'foo(?:bar)?baz',
    '(?<route>/pay)',
    'a{2,5}',
    '(ab){3}',
    '[\\]()+*]+x',
    'level":"(error|warn)',
    '(?=x)y',
  ])('accepts %s', (p) => {
    expect(compileSafeRegex(p, 'match')).toBeInstanceOf(RegExp);
  });

  it.each([
    ['(a+)+$', /exponential/],
    ['(a*)*b', /exponential/],
    ['(a|aa)+b', /exponential/],
    ['((ab)*c)+', /exponential/],
    ['(?:x+y?)+', /exponential/],
    ['(a{1,3}){2,}', /exponential/],
    ['(a)\\1', /backreferences/],
    ['(?<x>a)\\k<x>', /backreferences/],
    ['.*.*.*.*.*x', /unbounded/],
    ['(', /not a valid regular expression/],
    ['a'.repeat(257), /too long/],
  ])('refuses %s', (p, why) => {
    let err: unknown;
    try {
      compileSafeRegex(p, 'match');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/^match /);
  });

  it('applies the flags', () => {
    expect(compileSafeRegex('error', 'grep', 'i').test('ERROR')).toBe(true);
  });
});
