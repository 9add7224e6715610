// The apply summary log line stays bounded however many objects one apply writes (a shard's first apply: thousands).
import { describe, expect, it } from 'vitest';
import { firstIds } from '../../control/service.js';

describe('the apply summary line', () => {
  it('keeps every id of a short list', () => {
    expect(firstIds(['EnvoyFilter a/b', 'VirtualService c/d'])).toEqual(['EnvoyFilter a/b', 'VirtualService c/d']);
    expect(firstIds([])).toEqual([]);
  });

  it('keeps the first 50 ids of a long list and says how many more there were', () => {
    const ids = Array.from({ length: 6675 }, (_, i) => `AuthorizationPolicy ns/p-${i}`);
    const kept = firstIds(ids);
    expect(kept).toHaveLength(51);
    expect(kept.slice(0, 50)).toEqual(ids.slice(0, 50));
    expect(kept[50]).toBe('… and 6625 more');
  });
});
