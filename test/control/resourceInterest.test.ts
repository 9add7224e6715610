// Which resources the aggregated endpoint's listen streams asked to hear about: counted per wrapped URI while the
// streams are open, told per server (its own URIs) whenever that server's set changes, and nothing left behind once
// every stream has gone (also when a stream's release runs twice).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResourceInterest, unwrapUri } from '../../control/mcp/resourceInterest.js';

describe('unwrapUri', () => {
  it('splits meshmcp://<route>/<uri> and refuses anything else', () => {
    expect(unwrapUri('meshmcp://conformance/test://watched')).toEqual({ route: 'conformance', uri: 'test://watched' });
    expect(unwrapUri('meshmcp://docs/a/b?c')).toEqual({ route: 'docs', uri: 'a/b?c' });
    for (const bad of ['test://x', 'meshmcp://', 'meshmcp:///x', 'meshmcp://docs', 'meshmcp://docs/']) {
      expect(unwrapUri(bad), bad).toBeUndefined();
    }
  });
});

describe('ResourceInterest', () => {
  it("tells a server's set when its first listener comes and its last goes, not in between", () => {
    const told: Array<[string, string[]]> = [];
    const interest = new ResourceInterest((route, uris) => told.push([route, [...uris].sort()]));
    const a = interest.add(['meshmcp://conformance/test://a', 'meshmcp://docs/readme', 'test://not-wrapped']);
    const b = interest.add(['meshmcp://conformance/test://a', 'meshmcp://conformance/test://b']);
    expect(told).toEqual([
      ['conformance', ['test://a']],
      ['docs', ['readme']],
      ['conformance', ['test://a', 'test://b']],
    ]);
    told.length = 0;
    a();
    a();
    // conformance's test://a is still wanted by b: only docs changed.
    expect(told).toEqual([['docs', []]]);
    b();
    expect(told).toEqual([
      ['docs', []],
      ['conformance', []],
    ]);
    expect(interest.size).toBe(0);
  });

  it('ends with nothing wanted whatever the order streams open and close (property)', () => {
    const uri = fc.constantFrom('meshmcp://a/1', 'meshmcp://a/2', 'meshmcp://b/1', 'x://none');
    fc.assert(
      fc.property(fc.array(fc.array(uri, { maxLength: 4 }), { maxLength: 8 }), fc.array(fc.nat()), (streams, order) => {
        const last = new Map<string, number>();
        const interest = new ResourceInterest((route, uris) => last.set(route, uris.size));
        const releases = streams.map((s) => interest.add(s));
        // While open, each route's set is exactly the distinct URIs asked for it.
        for (const route of ['a', 'b']) {
          const want = new Set(streams.flat().filter((u) => u.startsWith(`meshmcp://${route}/`)));
          expect(interest.wanted(route).size).toBe(want.size);
        }
        const idx = releases.map((_, i) => i).sort((x, y) => (order[x] ?? 0) - (order[y] ?? 0));
        for (const i of idx) releases[i]!();
        expect(interest.size).toBe(0);
        for (const n of last.values()) expect(n).toBe(0);
      }),
    );
  });
});
