// Runs work over a list in stages: each run of consecutive items of one stage is a batch, worked on with at most
// `concurrency` in flight, and a batch starts only once the one before it has finished. So the order between stages
// (render's creation order, apply's removal order) holds however many requests are in flight, and with concurrency 1
// every item is worked on strictly in list order.

/**
 * Works on every item, batch by batch. The first failure starts nothing new: the items in flight finish (each
 * reporting through `work` as usual), then that first error is thrown. `concurrency` is a whole number from 1.
 */
export async function runInStages<T>(
  items: readonly T[],
  stageOf: (item: T) => number,
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let start = 0;
  while (start < items.length) {
    const stage = stageOf(items[start]!);
    let end = start + 1;
    while (end < items.length && stageOf(items[end]!) === stage) end++;
    await runBatch(items.slice(start, end), concurrency, work);
    start = end;
  }
}

async function runBatch<T>(batch: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < batch.length) {
      const item = batch[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
