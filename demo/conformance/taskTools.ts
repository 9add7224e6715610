// The tasks extension's (SEP-2663) test tools, 2026-07-28 only. The server decides which calls become tasks: greet
// never does; failing_job runs only as a task (TASK_ONLY_TOOLS: the suite's required-task fixture); the others become
// tasks when the request declared the extension and otherwise run inline, as a task-supporting tool must (asking for
// input then with an input_required result). A task's result or error is what tasks/get later shows, never the
// tools/call answer.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CallToolResult,
  fromJsonSchema,
  type InputResponseView,
  inputRequired,
  inputResponse,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { askName, text } from './inputRequired.js';
import type { TaskStore, TaskWork } from './taskStore.js';
import { requestDeclaresTasks } from './tasks.js';

/** Tools registered as needing the extension: a tools/call of one from a request without it is answered -32021. */
export const TASK_ONLY_TOOLS: ReadonlySet<string> = new Set(['failing_job']);

/** slow_compute's longest sleep, so an inline call cannot hold a request for long. */
const MAX_SECONDS = 120;

const SLOW_COMPUTE_SCHEMA = fromJsonSchema<{ seconds?: number; label?: string }>({
  type: 'object',
  properties: {
    seconds: { type: 'number', minimum: 0, maximum: MAX_SECONDS, description: 'How long to work; 0 finishes at once' },
    label: { type: 'string', description: 'Echoed in the result' },
  },
});

const oneString = (key: string, description: string) =>
  fromJsonSchema<Record<string, string>>({
    type: 'object',
    properties: { [key]: { type: 'string', description } },
    required: [key],
  });

const askConfirm = (message: string) =>
  inputRequired.elicit({
    message,
    requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] },
  });

const confirmed = (view: InputResponseView): boolean =>
  view.kind === 'elicit' && view.action === 'accept' && view.content?.['confirm'] === true;

const nameIn = (view: InputResponseView): string =>
  (view.kind === 'elicit' && typeof view.content?.['name'] === 'string' && view.content['name']) || 'stranger';

/** What a task-supporting tool answers inline: a result, or an input_required result asking for what it needs. */
type Inline = CallToolResult | ReturnType<typeof inputRequired> | Promise<CallToolResult>;

export function registerTaskTools(server: McpServer, store: TaskStore): void {
  // A CreateTaskResult: the Task fields, flat, with resultType "task" (the SDK's tool result types do not name it;
  // on the wire the SDK adds an empty content[] to it, as to every tool result without content).
  const startTask = (work: TaskWork): CallToolResult =>
    ({ resultType: 'task', ...store.create(work) }) as unknown as CallToolResult;
  // The HTTP entry answers -32021 before a task-only tool runs without the extension; this covers any other caller.
  const taskOnly = (name: string, ctx: ServerContext, work: TaskWork): CallToolResult =>
    requestDeclaresTasks(ctx) ? startTask(work) : text(`${name} runs only as a task`, true);
  // A task-supporting tool without the extension: the same work, inline.
  const taskOr = (ctx: ServerContext, work: TaskWork, inline: () => Inline): Inline =>
    requestDeclaresTasks(ctx) ? startTask(work) : inline();

  server.registerTool(
    'greet',
    { description: 'Greets by name, synchronously (never a task)', inputSchema: oneString('name', 'Who to greet') },
    ({ name }: Record<string, string>) => text(`Hello, ${name}!`),
  );

  server.registerTool(
    'slow_compute',
    {
      description: 'Works for `seconds` seconds: a task when the request declared the tasks extension, else inline',
      inputSchema: SLOW_COMPUTE_SCHEMA,
    },
    async ({ seconds = 0, label = 'unlabelled' }, ctx) => {
      const ms = Math.round(seconds * 1000);
      const done = () => text(`slow_compute ${label}: done after ${seconds}s`);
      if (!requestDeclaresTasks(ctx)) {
        await sleep(ms, undefined, { signal: ctx.mcpReq.signal, ref: false });
        return done();
      }
      return startTask(async (run) => {
        await run.sleep(ms);
        return done();
      });
    },
  );

  server.registerTool(
    'failing_job',
    { description: 'Task only: after about a second, completes with a tool error (isError)' },
    (ctx) =>
      taskOnly('failing_job', ctx, async (run) => {
        await run.sleep(1000);
        return text('failing_job failed on purpose: a tool execution error', true);
      }),
  );

  server.registerTool(
    'protocol_error_job',
    { description: 'Fails with a protocol-level error (as a task: the task ends failed, with the error)' },
    (ctx) => {
      const fail = () => {
        throw new ProtocolError(ProtocolErrorCode.InternalError, 'protocol_error_job failed on purpose');
      };
      return taskOr(
        ctx,
        async (run) => {
          await run.sleep(200);
          return fail();
        },
        fail,
      );
    },
  );

  server.registerTool(
    'confirm_delete',
    {
      description: 'Asks the client to confirm (input_required), then reports what it did',
      inputSchema: oneString('filename', 'The file to delete'),
    },
    ({ filename }: Record<string, string>, ctx) => {
      const outcome = (answer: InputResponseView) =>
        text(confirmed(answer) ? `Deleted ${filename}` : `Kept ${filename}`);
      return taskOr(
        ctx,
        async (run) =>
          outcome(inputResponse(await run.input({ confirm: askConfirm(`Delete ${filename}?`) }), 'confirm')),
        () => {
          const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
          if (answer.kind === 'missing')
            return inputRequired({ inputRequests: { confirm: askConfirm(`Delete ${filename}?`) } });
          return outcome(answer);
        },
      );
    },
  );

  server.registerTool(
    'multi_input',
    { description: 'Asks two questions at once, which (as a task) may be answered one at a time' },
    (ctx) => {
      const questions = () => ({ name: askName('Whose report is it?'), confirm: askConfirm('Publish the report?') });
      const report = (name: InputResponseView, confirm: InputResponseView) =>
        text(`Report for ${nameIn(name)}: ${confirmed(confirm) ? 'published' : 'kept private'}`);
      return taskOr(
        ctx,
        async (run) => {
          const answers = await run.input(questions());
          return report(inputResponse(answers, 'name'), inputResponse(answers, 'confirm'));
        },
        () => {
          const name = inputResponse(ctx.mcpReq.inputResponses, 'name');
          const confirm = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
          if (name.kind === 'missing' || confirm.kind === 'missing')
            return inputRequired({ inputRequests: questions() });
          return report(name, confirm);
        },
      );
    },
  );

  // Multi-round-trip first, task last: the name is gathered synchronously (an input_required result, no task), and
  // the call that brings it back becomes a task whose result carries it.
  server.registerTool(
    'test_tool_with_task',
    { description: 'Asks for a name (input_required), then greets it (from a task when the extension is declared)' },
    (ctx) => {
      const name = inputResponse(ctx.mcpReq.inputResponses, 'user_name');
      if (name.kind === 'missing')
        return inputRequired({ inputRequests: { user_name: askName('What is your name?') } });
      const who = nameIn(name);
      return taskOr(
        ctx,
        async (run) => {
          await run.sleep(200);
          return text(`Hello, ${who}! (from a task)`);
        },
        () => text(`Hello, ${who}!`),
      );
    },
  );
}
