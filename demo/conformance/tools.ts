// The conformance suite's test tools: fixed content, logging, progress, errors, and the 2025-era tools that need the
// client (sampling, elicitation), written as input-required handlers that the SDK serves on 2025-11-25 sessions too.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CallToolResult,
  fromJsonSchema,
  inputRequired,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { PNG_BASE64, WAV_BASE64 } from './catalog.js';
import { askSampling, describe, oneInput, registerInputRequiredTools, type ToolHooks, text } from './inputRequired.js';

const oneString = (key: string, description: string) =>
  fromJsonSchema<Record<string, string>>({
    type: 'object',
    properties: { [key]: { type: 'string', description } },
    required: [key],
  });

async function logThree(ctx: ServerContext): Promise<CallToolResult> {
  await ctx.mcpReq.log('info', 'Tool execution started');
  await sleep(50);
  await ctx.mcpReq.log('info', 'Tool processing data');
  await sleep(50);
  await ctx.mcpReq.log('info', 'Tool execution completed');
  return text('Tool with logging executed successfully');
}

const SEP1034_SCHEMA = {
  type: 'object' as const,
  properties: {
    name: { type: 'string' as const, description: 'User name', default: 'John Doe' },
    age: { type: 'integer' as const, description: 'User age', default: 30 },
    score: { type: 'number' as const, description: 'User score', default: 95.5 },
    status: {
      type: 'string' as const,
      description: 'User status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean' as const, description: 'Verification status', default: true },
  },
};

const SEP1330_SCHEMA = {
  type: 'object' as const,
  properties: {
    untitledSingle: { type: 'string' as const, enum: ['option1', 'option2', 'option3'] },
    titledSingle: {
      type: 'string' as const,
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string' as const,
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array' as const,
      items: { type: 'string' as const, enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array' as const,
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
};

const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keyword; this object is never awaited
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

export function registerTools(server: McpServer, hooks: ToolHooks): void {
  const fixed = (name: string, description: string, result: CallToolResult) =>
    server.registerTool(name, { description }, () => result);

  fixed('test_simple_text', 'Returns a simple text response', text('This is a simple text response for testing.'));
  fixed('test_image_content', 'Returns a 1x1 PNG image', {
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  });
  fixed('test_audio_content', 'Returns a short WAV clip', {
    content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }],
  });
  fixed('test_embedded_resource', 'Returns an embedded text resource', {
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  });
  fixed('test_multiple_content_types', 'Returns text, an image and an embedded resource', {
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  });
  fixed('test_error_handling', 'Always fails', text('This tool intentionally returns an error for testing', true));

  // Two names for one behaviour: 2025-11-25 checks the three lines arrive, 2026-07-28 that none arrive unless the
  // request's _meta asked for a log level (the SDK drops them).
  server.registerTool('test_tool_with_logging', { description: 'Logs three info lines while it runs' }, logThree);
  server.registerTool('test_logging_tool', { description: 'Logs three info lines while it runs' }, logThree);

  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100' },
    async (ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (token !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken: token, progress, total: 100 },
          });
        }
        if (progress < 100) await sleep(50);
      }
      return text(`Progress reported${token === undefined ? ' (no progress token)' : ''}`);
    },
  );

  // The client-facing tools return input-required results; on a 2025-11-25 session the SDK turns each into a real
  // server-to-client request and calls the handler again with the answer.
  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample a reply to the prompt',
      inputSchema: oneString('prompt', 'The prompt to send to the LLM'),
    },
    (args, ctx) =>
      oneInput(
        'reply',
        () => askSampling(args.prompt ?? '', 100),
        (v) => `LLM response: ${describe(v)}`,
      )(ctx),
  );
  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user for a username and email',
      inputSchema: oneString('message', 'The message to show the user'),
    },
    (args, ctx) =>
      oneInput(
        'user_info',
        () =>
          inputRequired.elicit({
            message: args.message ?? 'Please provide your information',
            requestedSchema: {
              type: 'object',
              properties: {
                username: { type: 'string', description: "User's response" },
                email: { type: 'string', description: "User's email address" },
              },
              required: ['username', 'email'],
            },
          }),
        (v) => `User response: ${describe(v)}`,
      )(ctx),
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits every primitive type with a default (SEP-1034)' },
    oneInput(
      'defaults',
      () =>
        inputRequired.elicit({
          message: 'Please review and update the form fields with defaults',
          requestedSchema: SEP1034_SCHEMA,
        }),
      (v) => `Elicitation completed: ${describe(v)}`,
    ),
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicits the five enum shapes (SEP-1330)' },
    oneInput(
      'enums',
      () =>
        inputRequired.elicit({
          message: 'Please select options from the enum fields',
          requestedSchema: SEP1330_SCHEMA,
        }),
      (v) => `Elicitation completed: ${describe(v)}`,
    ),
  );
  server.registerTool(
    'json_schema_2020_12_tool',
    { description: 'Tool with JSON Schema 2020-12 features', inputSchema: fromJsonSchema(JSON_SCHEMA_2020_12) },
    () => text('JSON Schema 2020-12 tool called'),
  );

  registerInputRequiredTools(server, hooks);

  server.registerTool('test_trigger_tool_change', { description: 'Announces a tool list change' }, () => {
    hooks.toolsChanged();
    return text('tools/list_changed published');
  });
  server.registerTool('test_trigger_prompt_change', { description: 'Announces a prompt list change' }, () => {
    hooks.promptsChanged();
    return text('prompts/list_changed published');
  });
  server.registerTool(
    'test_trigger_resource_update',
    {
      description: 'Tells the clients subscribed to a resource that it changed',
      inputSchema: oneString('uri', 'The resource URI'),
    },
    ({ uri }: Record<string, string>) => {
      hooks.resourceUpdated(uri ?? '');
      return text(`notifications/resources/updated published for ${uri}`);
    },
  );
}
