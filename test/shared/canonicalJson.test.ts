// Canonical JSON: key order never changes the text, and the text is what the content hashes were made of.
import { describe, expect, it } from 'vitest';
import { canonicalJson, sortKeys } from '../../shared/canonicalJson.js';

describe('canonicalJson', () => {
  it('gives the same text whatever order the keys came in, at every level', () => {
    const a = { b: 1, a: { d: [{ y: 2, x: 1 }], c: 'z' } };
    const b = { a: { c: 'z', d: [{ x: 1, y: 2 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":"z","d":[{"x":1,"y":2}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps array order and leaves out undefined members as JSON.stringify does', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson({ a: undefined, b: null, c: [undefined] })).toBe('{"b":null,"c":[null]}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('is JSON.stringify of sortKeys, so existing content hashes stay valid', () => {
    const v = { spec: { 10: 'ten', 9: 'nine', b: true, a: [{ z: 1, y: 2 }] } };
    expect(canonicalJson(v)).toBe(JSON.stringify(sortKeys(v)));
    expect(Object.keys(sortKeys({ b: 1, a: 2 }) as object)).toEqual(['a', 'b']);
  });
});
