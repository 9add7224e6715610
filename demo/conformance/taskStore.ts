// The server-side state of the tasks extension (SEP-2663): one record per task a tool call started, which tasks/get
// reads, tasks/update feeds input to and tasks/cancel stops. Bounded in number and in lifetime: at most maxTasks
// records, each dropped (and stopped, if still running) once its ttlMs has passed.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallToolResult, InputRequests } from '@modelcontextprotocol/server';

/** Answers to input requests, by request key, as the client sent them (read them with the SDK's inputResponse()). */
export type InputAnswers = Record<string, unknown>;

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** A protocol-level failure, inlined on a failed task in the JSON-RPC error shape. */
export interface TaskError {
  code: number;
  message: string;
  data?: unknown;
}

/** The Task fields: what a CreateTaskResult carries besides its resultType, and what every tasks/get answer starts with. */
export interface TaskInfo {
  /** Opaque, unguessable, and the only handle on the task (tasks/get, tasks/update and tasks/cancel name it). */
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number;
  pollIntervalMs: number;
}

/** tasks/get's answer: the task plus what its status carries (the pending input, the tool result, or the error). */
export interface DetailedTask extends TaskInfo {
  inputRequests?: InputRequests;
  result?: CallToolResult;
  error?: TaskError;
}

/** What a task's work can do besides computing its result. */
export interface TaskRun {
  /** Aborted when the task is cancelled, expires, or the store closes. */
  readonly signal: AbortSignal;
  /** Waits ms, or rejects as soon as the task is stopped. */
  sleep(ms: number): Promise<void>;
  /**
   * Parks the task in input_required with these requests until tasks/update has answered every one of them (it may
   * answer them one at a time), then resumes it with the answers.
   */
  input(requests: InputRequests): Promise<InputAnswers>;
}

/** A task's work: resolves with the tool result (isError for a tool error), rejects for a protocol-level failure. */
export type TaskWork = (run: TaskRun) => Promise<CallToolResult>;

export interface TaskStoreOptions {
  /** Live records at most (running or kept for tasks/get); default 256. */
  maxTasks?: number;
  /** How long a task stays readable after it was created; default 10 minutes. */
  ttlMs?: number;
  /** The polling interval suggested to clients; default 500 ms. */
  pollIntervalMs?: number;
}

interface TaskRecord {
  info: TaskInfo;
  expiresAt: number;
  stop: AbortController;
  result?: CallToolResult;
  error?: TaskError;
  /** While input_required: the requests still unanswered, the answers so far, and how to resume the work. */
  waiting?: { pending: InputRequests; answers: InputAnswers; resume: (answers: InputAnswers) => void };
}

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);
const INTERNAL_ERROR = -32603;

export class TaskStore {
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #maxTasks: number;
  readonly #ttlMs: number;
  readonly #pollIntervalMs: number;
  #closed = false;

  constructor(options: TaskStoreOptions = {}) {
    this.#maxTasks = options.maxTasks ?? 256;
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /** Live records (running, waiting for input, or finished and not yet expired). */
  get size(): number {
    this.#sweep();
    return this.#tasks.size;
  }

  /**
   * Records a task and starts its work. The record exists before this returns, so a tasks/get for the id resolves as
   * soon as the caller has it. Throws when the store is closed, or full of tasks that are still running.
   */
  create(work: TaskWork): TaskInfo {
    if (this.#closed) throw new Error('the task store is closed');
    this.#sweep();
    if (this.#tasks.size >= this.#maxTasks) this.#evictOldestFinished();
    if (this.#tasks.size >= this.#maxTasks) {
      throw new Error(`too many tasks: ${this.#maxTasks} are still running; cancel some or wait for them to finish`);
    }
    const now = new Date().toISOString();
    const record: TaskRecord = {
      info: {
        taskId: randomUUID(),
        status: 'working',
        createdAt: now,
        lastUpdatedAt: now,
        ttlMs: this.#ttlMs,
        pollIntervalMs: this.#pollIntervalMs,
      },
      expiresAt: Date.now() + this.#ttlMs,
      stop: new AbortController(),
    };
    this.#tasks.set(record.info.taskId, record);
    void this.#run(record, work);
    return { ...record.info };
  }

  /** The task as tasks/get shows it, or undefined for an id this store does not hold (never issued, or expired). */
  get(taskId: string): DetailedTask | undefined {
    this.#sweep();
    const record = this.#tasks.get(taskId);
    if (!record) return undefined;
    const { info, waiting, result, error } = record;
    return {
      ...info,
      ...(info.status === 'input_required' && waiting ? { inputRequests: { ...waiting.pending } } : {}),
      ...(info.status === 'completed' && result ? { result } : {}),
      ...(info.status === 'failed' && error ? { error } : {}),
    };
  }

  /**
   * Delivers answers to a task waiting for input: each key that names a pending request answers it, other keys are
   * ignored. The task resumes once no request is pending. False for an unknown task.
   */
  update(taskId: string, responses: InputAnswers): boolean {
    this.#sweep();
    const record = this.#tasks.get(taskId);
    if (!record) return false;
    const { waiting } = record;
    if (record.info.status !== 'input_required' || !waiting) return true;
    for (const [key, response] of Object.entries(responses)) {
      if (!(key in waiting.pending)) continue;
      waiting.answers[key] = response;
      delete waiting.pending[key];
    }
    if (Object.keys(waiting.pending).length === 0) {
      record.waiting = undefined;
      this.#setStatus(record, 'working');
      waiting.resume(waiting.answers);
    }
    return true;
  }

  /** Stops a task that has not finished; a finished one is left as it is. False for an unknown task. */
  cancel(taskId: string): boolean {
    this.#sweep();
    const record = this.#tasks.get(taskId);
    if (!record) return false;
    if (!TERMINAL.has(record.info.status)) {
      this.#setStatus(record, 'cancelled', 'cancelled by tasks/cancel');
      record.waiting = undefined;
      record.stop.abort(new Error(`task ${taskId} was cancelled`));
    }
    return true;
  }

  /** Stops every task (their timers with them) and forgets them all; create() refuses from now on. */
  close(): void {
    this.#closed = true;
    for (const record of this.#tasks.values()) record.stop.abort(new Error('the task store closed'));
    this.#tasks.clear();
  }

  async #run(record: TaskRecord, work: TaskWork): Promise<void> {
    const { signal } = record.stop;
    const run: TaskRun = {
      signal,
      sleep: (ms) => sleep(ms, undefined, { signal, ref: false }),
      input: (requests) =>
        new Promise<InputAnswers>((resolve, reject) => {
          if (signal.aborted) {
            reject(signal.reason);
            return;
          }
          if (Object.keys(requests).length === 0) {
            resolve({});
            return;
          }
          const onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
          const resume = (answers: InputAnswers) => {
            signal.removeEventListener('abort', onAbort);
            resolve(answers);
          };
          record.waiting = { pending: { ...requests }, answers: {}, resume };
          this.#setStatus(record, 'input_required', 'waiting for input');
        }),
    };
    try {
      // A microtask later, so the record is returned (and readable) before the work can change it.
      await Promise.resolve();
      const result = await work(run);
      if (signal.aborted || TERMINAL.has(record.info.status)) return;
      record.result = result;
      this.#setStatus(record, 'completed');
    } catch (err) {
      if (signal.aborted || TERMINAL.has(record.info.status)) return;
      record.error = toTaskError(err);
      this.#setStatus(record, 'failed', record.error.message);
    }
  }

  #setStatus(record: TaskRecord, status: TaskStatus, statusMessage?: string): void {
    record.info.status = status;
    record.info.lastUpdatedAt = new Date().toISOString();
    if (statusMessage === undefined) delete record.info.statusMessage;
    else record.info.statusMessage = statusMessage;
  }

  /** Drops the tasks whose ttlMs has passed, stopping those still running. */
  #sweep(): void {
    const now = Date.now();
    for (const [id, record] of this.#tasks) {
      if (record.expiresAt > now) continue;
      record.stop.abort(new Error(`task ${id} expired`));
      this.#tasks.delete(id);
    }
  }

  #evictOldestFinished(): void {
    for (const [id, record] of this.#tasks) {
      if (!TERMINAL.has(record.info.status)) continue;
      this.#tasks.delete(id);
      return;
    }
  }
}

/** A failure in the JSON-RPC error shape: a ProtocolError keeps its code and data, anything else is internal. */
function toTaskError(err: unknown): TaskError {
  const e = err as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  if (typeof e?.code === 'number' && Number.isSafeInteger(e.code)) {
    return { code: e.code, message, ...(e.data === undefined ? {} : { data: e.data }) };
  }
  return { code: INTERNAL_ERROR, message };
}
