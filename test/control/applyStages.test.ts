// runInStages: batches are runs of one stage, each finished before the next starts; at most `concurrency` items in
// flight; with 1, strict list order; the first failure starts nothing new and is thrown once those in flight end.
import { describe, expect, it } from 'vitest';
import { runInStages } from '../../control/apply/stages.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

/** Items are `<stage>:<name>`; records starts, ends and the most in flight. */
function recorder(fail?: string) {
  const events: string[] = [];
  let inFlight = 0;
  let most = 0;
  const work = async (item: string) => {
    events.push(`start ${item}`);
    most = Math.max(most, ++inFlight);
    await tick();
    inFlight--;
    if (item === fail) throw new Error(`failed ${item}`);
    events.push(`end ${item}`);
  };
  return { events, work, most: () => most };
}
const stageOf = (item: string) => Number(item.split(':')[0]);

describe('runInStages', () => {
  it('with concurrency 1 works strictly in list order', async () => {
    const r = recorder();
    const items = ['0:a', '1:b', '0:c', '0:d'];
    await runInStages(items, stageOf, 1, r.work);
    expect(r.events).toEqual(items.flatMap((i) => [`start ${i}`, `end ${i}`]));
  });

  it('runs a batch several at a time and starts the next batch only once it has finished', async () => {
    const r = recorder();
    const items = ['0:a', '0:b', '0:c', '0:d', '0:e', '1:f', '1:g', '0:h'];
    await runInStages(items, stageOf, 3, r.work);
    expect(r.most()).toBe(3);
    const at = (e: string) => r.events.indexOf(e);
    for (const i of ['0:a', '0:b', '0:c', '0:d', '0:e']) expect(at(`end ${i}`)).toBeLessThan(at('start 1:f'));
    for (const i of ['1:f', '1:g']) expect(at(`end ${i}`)).toBeLessThan(at('start 0:h'));
    expect(r.events.filter((e) => e.startsWith('end')).length).toBe(items.length);
  });

  it('stops at the first failure: nothing new starts, those in flight finish, then the error is thrown', async () => {
    const r = recorder('0:b');
    const items = ['0:a', '0:b', '0:c', '0:d', '0:e', '1:f'];
    await expect(runInStages(items, stageOf, 2, r.work)).rejects.toThrow('failed 0:b');
    expect(r.events).toContain('end 0:a');
    expect(r.events.some((e) => e.includes('1:f') || e.includes('0:e'))).toBe(false);
  });

  it('does nothing for no items', async () => {
    const r = recorder();
    await runInStages([], stageOf, 4, r.work);
    expect(r.events).toEqual([]);
  });
});
