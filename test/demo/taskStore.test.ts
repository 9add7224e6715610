// The conformance server's task store (tasks extension, SEP-2663): the lifecycle tasks/get shows, input answered in
// parts, cancellation, and its bounds (a cap on live tasks, a TTL, close() stopping everything).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type TaskRun, TaskStore } from '../../demo/conformance/taskStore.js';

const text = (t: string, isError = false) => ({
  content: [{ type: 'text' as const, text: t }],
  ...(isError ? { isError } : {}),
});

/** Polls until the task leaves `working` (or input_required, when `through` says so). */
async function settled(store: TaskStore, taskId: string, through: string[] = ['working']) {
  for (let i = 0; i < 100; i++) {
    const task = store.get(taskId);
    if (!task || !through.includes(task.status)) return task;
    await sleep(10);
  }
  throw new Error(`task ${taskId} did not settle`);
}

const ask = (message: string) => ({
  method: 'elicitation/create' as const,
  params: { message, requestedSchema: { type: 'object' as const, properties: {} } },
});

describe('TaskStore', () => {
  it('records a task before returning it, then inlines its result, a tool error, or a protocol error', async () => {
    const store = new TaskStore({ ttlMs: 60_000, pollIntervalMs: 250 });
    const ok = store.create(async (run) => {
      await run.sleep(20);
      return text('done');
    });
    expect(ok).toMatchObject({ status: 'working', ttlMs: 60_000, pollIntervalMs: 250 });
    expect(ok.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(store.get(ok.taskId)).toMatchObject({ taskId: ok.taskId, status: 'working' });
    expect(store.get(ok.taskId)).not.toHaveProperty('result');
    expect(await settled(store, ok.taskId)).toMatchObject({ status: 'completed', result: text('done') });

    const toolError = store.create(async () => text('nope', true));
    expect(await settled(store, toolError.taskId)).toMatchObject({ status: 'completed', result: { isError: true } });

    const broken = store.create(async () => {
      throw Object.assign(new Error('boom'), { code: -32603, data: { why: 'test' } });
    });
    const failed = await settled(store, broken.taskId);
    expect(failed).toMatchObject({ status: 'failed', error: { code: -32603, message: 'boom', data: { why: 'test' } } });
    expect(failed).not.toHaveProperty('result');
    expect(store.get('no-such-task')).toBeUndefined();
    store.close();
  });

  it('waits in input_required until every request is answered, showing only those still pending', async () => {
    const store = new TaskStore();
    const task = store.create(async (run) => {
      const answers = await run.input({ a: ask('A?'), b: ask('B?') });
      return text(JSON.stringify(answers));
    });
    const waiting = await settled(store, task.taskId);
    expect(waiting?.status).toBe('input_required');
    expect(Object.keys(waiting?.inputRequests ?? {})).toEqual(['a', 'b']);

    expect(store.update(task.taskId, { a: { action: 'accept' }, stray: { ignored: true } })).toBe(true);
    expect(store.get(task.taskId)).toMatchObject({ status: 'input_required', inputRequests: { b: ask('B?') } });
    expect(Object.keys(store.get(task.taskId)?.inputRequests ?? {})).toEqual(['b']);

    store.update(task.taskId, { b: { action: 'decline' } });
    const done = await settled(store, task.taskId, ['working', 'input_required']);
    expect(done?.status).toBe('completed');
    expect(done?.result?.content).toEqual([
      { type: 'text', text: JSON.stringify({ a: { action: 'accept' }, b: { action: 'decline' } }) },
    ]);
    expect(store.update('no-such-task', {})).toBe(false);
    store.close();
  });

  it('cancels a running task (stopping its work) and leaves a finished one as it is', async () => {
    const store = new TaskStore();
    let stopped: AbortSignal | undefined;
    const slow = store.create(async (run) => {
      stopped = run.signal;
      await run.sleep(60_000);
      return text('never');
    });
    await sleep(5);
    expect(store.cancel(slow.taskId)).toBe(true);
    expect(store.get(slow.taskId)?.status).toBe('cancelled');
    expect(stopped?.aborted).toBe(true);
    await sleep(5);
    expect(store.get(slow.taskId)?.status).toBe('cancelled');

    const quick = store.create(async () => text('done'));
    await settled(store, quick.taskId);
    expect(store.cancel(quick.taskId)).toBe(true);
    expect(store.get(quick.taskId)?.status).toBe('completed');
    expect(store.cancel('no-such-task')).toBe(false);
    store.close();
  });

  it('holds at most maxTasks, making room by dropping the oldest finished task', async () => {
    const store = new TaskStore({ maxTasks: 2 });
    const forever = async (run: TaskRun) => {
      await run.sleep(60_000);
      return text('never');
    };
    const finished = store.create(async () => text('done'));
    const running = store.create(forever);
    await settled(store, finished.taskId);
    const third = store.create(forever);
    expect(store.get(finished.taskId)).toBeUndefined();
    expect(store.size).toBe(2);
    expect(() => store.create(forever)).toThrow(/too many tasks: 2 are still running/);
    expect(store.get(running.taskId)?.status).toBe('working');
    expect(store.get(third.taskId)?.status).toBe('working');
    store.close();
  });

  it('forgets a task once its ttlMs has passed, stopping it if it still runs', async () => {
    const store = new TaskStore({ ttlMs: 30 });
    let stopped: AbortSignal | undefined;
    const task = store.create(async (run) => {
      stopped = run.signal;
      await run.sleep(60_000);
      return text('never');
    });
    await sleep(5);
    expect(store.get(task.taskId)?.status).toBe('working');
    await sleep(50);
    expect(store.get(task.taskId)).toBeUndefined();
    expect(stopped?.aborted).toBe(true);
    store.close();
  });

  it('close() stops every task and refuses new ones', async () => {
    const store = new TaskStore();
    const signals: AbortSignal[] = [];
    const park = async (run: TaskRun) => {
      signals.push(run.signal);
      await run.input({ a: ask('A?') });
      return text('never');
    };
    const sleeper = async (run: TaskRun) => {
      signals.push(run.signal);
      await run.sleep(60_000);
      return text('never');
    };
    store.create(park);
    store.create(sleeper);
    await sleep(5);
    store.close();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(store.size).toBe(0);
    expect(() => store.create(sleeper)).toThrow(/closed/);
  });
});
