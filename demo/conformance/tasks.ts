// The tasks extension (SEP-2663, io.modelcontextprotocol/tasks) on 2026-07-28: tasks/get, tasks/update and
// tasks/cancel, each naming its task by params.taskId (which the Mcp-Name header must repeat), served only to a request
// whose client capabilities declare the extension; and the -32021 answer to a tools/call of a tool that runs only as
// a task when the request did not declare it. tasks/result and tasks/list do not exist in this version (-32601).
import {
  CLIENT_CAPABILITIES_META_KEY,
  classifyInboundRequest,
  fromJsonSchema,
  type McpServer,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { declaredCapabilities } from './inputRequired.js';
import type { TaskStore } from './taskStore.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** The protocol revision the extension is defined for. */
const MODERN_REVISION = '2026-07-28';

/** What a client must declare to be served tasks: the shape of the -32021 error's data.requiredCapabilities. */
const REQUIRED = { extensions: { [TASKS_EXTENSION]: {} } };

/** Whether client capabilities (a request's `_meta["io.modelcontextprotocol/clientCapabilities"]`) declare tasks. */
export function declaresTasks(capabilities: unknown): boolean {
  const extensions = (capabilities as { extensions?: unknown } | undefined)?.extensions;
  const entry = (extensions as Record<string, unknown> | undefined)?.[TASKS_EXTENSION];
  return typeof entry === 'object' && entry !== null;
}

/** Whether this request declared the extension: the server creates tasks for it and serves it tasks/*. */
export const requestDeclaresTasks = (ctx: ServerContext): boolean => declaresTasks(declaredCapabilities(ctx));

function requireTasks(ctx: ServerContext, method: string): void {
  if (requestDeclaresTasks(ctx)) return;
  throw new MissingRequiredClientCapabilityError(
    { requiredCapabilities: REQUIRED },
    `${method} needs the ${TASKS_EXTENSION} extension: declare it in ` +
      `_meta["${CLIENT_CAPABILITIES_META_KEY}"].extensions`,
  );
}

const unknownTask = (taskId: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task: ${taskId}`);

const TASK_ID = fromJsonSchema<{ taskId: string }>({
  type: 'object',
  properties: { taskId: { type: 'string', description: 'The task, as its CreateTaskResult named it' } },
  required: ['taskId'],
});

/**
 * tasks/get, tasks/update and tasks/cancel on a 2026-07-28 server. The SDK checks that the Mcp-Name header equals
 * params.taskId (else HTTP 400, -32020) before these run, and lifts tasks/update's inputResponses into
 * ctx.mcpReq.inputResponses. Each answers `resultType: "complete"` (the SDK stamps it); tasks/update and tasks/cancel
 * with nothing else, the task's state being what the next tasks/get shows.
 */
export function registerTaskMethods(server: McpServer, store: TaskStore): void {
  server.server.setRequestHandler('tasks/get', { params: TASK_ID }, ({ taskId }, ctx) => {
    requireTasks(ctx, 'tasks/get');
    const task = store.get(taskId);
    if (!task) throw unknownTask(taskId);
    // The inlined result is the tools/call answer the task stands for, so it carries that answer's resultType.
    return task.result ? { ...task, result: { ...task.result, resultType: 'complete' } } : { ...task };
  });
  server.server.setRequestHandler('tasks/update', { params: TASK_ID }, ({ taskId }, ctx) => {
    requireTasks(ctx, 'tasks/update');
    if (!store.update(taskId, ctx.mcpReq.inputResponses ?? {})) throw unknownTask(taskId);
    return {};
  });
  server.server.setRequestHandler('tasks/cancel', { params: TASK_ID }, ({ taskId }, ctx) => {
    requireTasks(ctx, 'tasks/cancel');
    if (!store.cancel(taskId)) throw unknownTask(taskId);
    return {};
  });
}

/**
 * The -32021 answer (HTTP 400, as the SDK answers its own capability gate) to a 2026-07-28 tools/call of a tool in
 * `taskOnly` from a request that did not declare the extension; undefined for every other request. A tool's handler
 * cannot give this answer (the SDK turns an error thrown there into an isError tool result), so it is given in
 * front of the SDK, and only to a request the SDK would otherwise dispatch: anything its checks before dispatch
 * refuse (the envelope, the protocol version, the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers) is left for
 * it to answer as it always does.
 */
export function taskOnlyRejection(
  request: Request,
  body: unknown,
  taskOnly: ReadonlySet<string>,
): Response | undefined {
  const headers = {
    protocolVersionHeader: request.headers.get('mcp-protocol-version') ?? undefined,
    mcpMethodHeader: request.headers.get('mcp-method') ?? undefined,
    mcpNameHeader: request.headers.get('mcp-name') ?? undefined,
  };
  const route = classifyInboundRequest({ httpMethod: request.method, ...headers, body });
  if (route.kind !== 'modern' || route.messageKind !== 'request' || route.message.method !== 'tools/call') {
    return undefined;
  }
  const params = route.message.params as { name?: unknown; _meta?: Record<string, unknown> } | undefined;
  const name = params?.name;
  if (typeof name !== 'string' || !taskOnly.has(name)) return undefined;
  if (declaresTasks(params?._meta?.[CLIENT_CAPABILITIES_META_KEY])) return undefined;
  const dispatchable =
    route.classification.revision === MODERN_REVISION &&
    headers.protocolVersionHeader !== undefined &&
    headers.mcpMethodHeader !== undefined &&
    headers.mcpNameHeader?.trim() === name;
  if (!dispatchable) return undefined;
  return Response.json(
    {
      jsonrpc: '2.0',
      id: route.message.id,
      error: {
        code: ProtocolErrorCode.MissingRequiredClientCapability,
        message:
          `Tool ${name} runs only as a task: declare the ${TASKS_EXTENSION} extension in ` +
          `_meta["${CLIENT_CAPABILITIES_META_KEY}"].extensions`,
        data: { requiredCapabilities: REQUIRED },
      },
    },
    { status: 400 },
  );
}
