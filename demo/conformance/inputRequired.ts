// The 2026-07-28 multi-round-trip (SEP-2322) tools and the input-request helpers every client-facing tool uses.
import {
  type CallToolResult,
  type InputRequest,
  type InputRequiredResult,
  type InputResponseView,
  inputRequired,
  inputResponse,
  type McpServer,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { TaskStore } from './taskStore.js';

/** What the tools need from the server around them. */
export interface ToolHooks {
  /** Seals multi-round state; the server verifies it before a handler sees it again. */
  state: RequestStateCodec<RoundState>;
  /** The tasks (2026-07-28 tasks extension) that tool calls started, shared by every per-request server. */
  tasks: TaskStore;
  /** Tell open 2026-07-28 listen streams that the tool or prompt list changed. */
  toolsChanged(): void;
  promptsChanged(): void;
  /** Tell every client subscribed to this resource (a 2025-11-25 session, a 2026-07-28 listen stream) it changed. */
  resourceUpdated(uri: string): void;
}

export interface RoundState {
  tool: string;
  round: number;
  name?: string;
}

export type Result = CallToolResult | InputRequiredResult;

export const text = (t: string, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: t }],
  ...(isError ? { isError: true } : {}),
});

export const askName = (message: string): InputRequest =>
  inputRequired.elicit({
    message,
    requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  });

export const askSampling = (prompt: string, maxTokens: number): InputRequest =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

export const describe = (view: InputResponseView): string => {
  switch (view.kind) {
    case 'elicit':
      return `action=${view.action}, content=${JSON.stringify(view.content ?? {})}`;
    case 'sampling': {
      const c = view.result.content;
      const first = Array.isArray(c) ? c[0] : c;
      return first?.type === 'text' ? first.text : JSON.stringify(first);
    }
    case 'roots':
      return view.roots.map((r) => r.uri).join(', ');
    default:
      return 'missing';
  }
};

/** Asks once for `key`, then answers with `done(view)` once the client sent that input. */
export function oneInput(key: string, ask: () => InputRequest, done: (view: InputResponseView) => string) {
  return (ctx: ServerContext): Result => {
    const view = inputResponse(ctx.mcpReq.inputResponses, key);
    if (view.kind === 'missing') return inputRequired({ inputRequests: { [key]: ask() } });
    return text(done(view));
  };
}

/** The client capabilities a 2026-07-28 request declared in its _meta envelope ({} when none). */
export function declaredCapabilities(ctx: ServerContext): Record<string, unknown> {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  const caps = envelope['io.modelcontextprotocol/clientCapabilities'];
  return caps && typeof caps === 'object' ? (caps as Record<string, unknown>) : {};
}

/** The 2026-07-28 multi-round-trip (SEP-2322) tools. */
export function registerInputRequiredTools(server: McpServer, hooks: ToolHooks): void {
  const { state } = hooks;
  const reg = (name: string, description: string, cb: (ctx: ServerContext) => Result | Promise<Result>) =>
    server.registerTool(name, { description }, cb);

  reg(
    'test_input_required_result_elicitation',
    'Asks for the user name, then greets them',
    oneInput(
      'user_name',
      () => askName('What is your name?'),
      (v) => `Hello, ${(v.kind === 'elicit' && v.content?.['name']) || 'stranger'}!`,
    ),
  );
  reg(
    'test_input_required_result_sampling',
    'Asks the client for a completion',
    oneInput(
      'capital_question',
      () => askSampling('What is the capital of France?', 100),
      (v) => `Sampling said: ${describe(v)}`,
    ),
  );
  reg(
    'test_input_required_result_list_roots',
    "Asks for the client's roots",
    oneInput(
      'client_roots',
      () => inputRequired.listRoots(),
      (v) => `Client roots: ${describe(v)}`,
    ),
  );
  // The SDK has verified requestState (HMAC) before these handlers run: a tampered one never reaches them.
  for (const name of ['test_input_required_result_request_state', 'test_input_required_result_tampered_state']) {
    reg(name, 'Asks for a confirmation and carries signed requestState', async (ctx) => {
      const prior = ctx.mcpReq.requestState<RoundState>();
      const ok = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (prior?.tool === name && ok.kind !== 'missing') return text(`state-ok: confirmed (${describe(ok)})`);
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Please confirm',
            requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
          }),
        },
        requestState: await state.mint({ tool: name, round: 1 }),
      });
    });
  }
  reg('test_input_required_result_multiple_inputs', 'Asks for elicitation, sampling and roots at once', async (ctx) => {
    const keys = ['user_name', 'greeting', 'client_roots'];
    const views = keys.map((k) => inputResponse(ctx.mcpReq.inputResponses, k));
    const prior = ctx.mcpReq.requestState<RoundState>();
    if (prior?.tool === 'multiple' && views.every((v) => v.kind !== 'missing')) {
      return text(`All inputs received: ${views.map(describe).join('; ')}`);
    }
    return inputRequired({
      inputRequests: {
        user_name: askName('What is your name?'),
        greeting: askSampling('Generate a greeting', 50),
        client_roots: inputRequired.listRoots(),
      },
      requestState: await state.mint({ tool: 'multiple', round: 1 }),
    });
  });
  reg('test_input_required_result_multi_round', 'Asks for a name, then a colour, then answers', async (ctx) => {
    const prior = ctx.mcpReq.requestState<RoundState>();
    const responses = ctx.mcpReq.inputResponses;
    if (prior?.tool === 'multi_round' && prior.round === 2) {
      const color = inputResponse(responses, 'step2');
      if (color.kind === 'elicit') return text(`${prior.name ?? 'You'} likes ${String(color.content?.['color'])}`);
    }
    if (prior?.tool === 'multi_round' && prior.round === 1) {
      const step1 = inputResponse(responses, 'step1');
      if (step1.kind === 'elicit') {
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
            }),
          },
          requestState: await state.mint({ tool: 'multi_round', round: 2, name: String(step1.content?.['name']) }),
        });
      }
    }
    return inputRequired({
      inputRequests: { step1: askName('Step 1: What is your name?') },
      requestState: await state.mint({ tool: 'multi_round', round: 1 }),
    });
  });
  reg('test_input_required_result_capabilities', 'Asks only for what the client declared it can do', (ctx) => {
    const caps = declaredCapabilities(ctx);
    const requests: Record<string, InputRequest> = {};
    if (caps['elicitation']) requests['user_name'] = askName('What is your name?');
    if (caps['sampling']) requests['greeting'] = askSampling('Generate a greeting', 50);
    if (caps['roots']) requests['client_roots'] = inputRequired.listRoots();
    const answered = Object.keys(requests).every((k) => inputResponse(ctx.mcpReq.inputResponses, k).kind !== 'missing');
    if (Object.keys(requests).length === 0 || answered) return text('Nothing more to ask for');
    return inputRequired({ inputRequests: requests });
  });
  // Needs sampling: the SDK answers -32021 when the request did not declare it.
  reg('test_missing_capability', 'Needs the sampling capability', (ctx) =>
    oneInput(
      'reply',
      () => askSampling('Say hello', 20),
      (v) => `Sampled: ${describe(v)}`,
    )(ctx),
  );
  reg(
    'test_streaming_elicitation',
    'Asks for input on its response stream, as an input-required result',
    oneInput(
      'user_name',
      () => askName('What is your name?'),
      (v) => `Hello, ${describe(v)}`,
    ),
  );
}
