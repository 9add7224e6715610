// Tools made for protocol tests (not mocks of anything: real Tool objects with trivial, predictable behaviour).
import { setTimeout as sleep } from 'node:timers/promises';
import { ToolError } from '../../sidecar/errors.js';
import type { Tool } from '../../sidecar/types.js';

export const echoTool: Tool = {
  name: 'echo',
  description: 'Returns the message it is given, repeated count times.',
  inputSchema: {
    type: 'object',
    properties: {
      msg: { type: 'string', description: 'the message', maxLength: 100 },
      count: { type: 'integer', description: 'how many times', minimum: 1, maximum: 5, default: 1 },
    },
    required: ['msg'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args) {
    const text = Array.from({ length: args['count'] as number }, () => args['msg']).join(' ');
    return { content: [{ type: 'text', text }], structuredContent: { text } };
  },
};

export const slowTool: Tool = {
  name: 'slow',
  description: 'Waits until cancelled (for timeout tests).',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  annotations: { readOnlyHint: true },
  timeoutMs: 200,
  async run(_args, ctx) {
    await sleep(60_000, undefined, { signal: ctx.signal }).catch(() => undefined);
    return { content: [{ type: 'text', text: 'finished' }] };
  },
};

export const failingTool: Tool = {
  name: 'fails',
  description: 'Always reports that its upstream is down.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  annotations: { readOnlyHint: true },
  async run() {
    throw new ToolError('upstream is down: connection refused');
  },
};

export const crashingTool: Tool = {
  name: 'crashes',
  description: 'Throws an unexpected error (a bug in a tool must not take the sidecar down).',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  annotations: { readOnlyHint: true },
  async run() {
    throw new TypeError('secret internal detail');
  },
};

export const TEST_TOOLS: Tool[] = [echoTool, slowTool, failingTool, crashingTool];

export function manyTools(n: number): Tool[] {
  return Array.from({ length: n }, (_, i) => ({ ...echoTool, name: `tool_${String(i).padStart(3, '0')}` }));
}
