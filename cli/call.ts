// `meshmcp call <tool> [name=value ...]`: calls one tool with the real SDK client and prints its result.

import { helpText, type OptionSpec, runCommand, UsageError } from '../shared/options.js';
import { CLIENT_OPTIONS, connect } from './mcpClient.js';

const OPTIONS: OptionSpec[] = [
  ...CLIENT_OPTIONS,
  { flag: 'args', type: 'string', description: 'all arguments as one JSON object (name=value pairs are merged in)' },
];

const HELP = helpText(
  'meshmcp call <tool> [name=value ...] [options]',
  'Calls one tool. Values are parsed as JSON when they parse (numbers, true/false), else taken as strings.\nExample: meshmcp call payment-service__check_transaction_status id=tx_12345 --url http://127.0.0.1:3000/mcp',
  OPTIONS,
);

export function parseArguments(pairs: string[], json: unknown): Record<string, unknown> {
  let args: Record<string, unknown> = {};
  if (typeof json === 'string') {
    try {
      args = JSON.parse(json) as Record<string, unknown>;
    } catch {
      throw new UsageError('--args is not valid JSON');
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      throw new UsageError('--args must be an object');
  }
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`argument ${JSON.stringify(p)} must look like name=value`);
    const raw = p.slice(i + 1);
    let v: unknown = raw;
    try {
      v = JSON.parse(raw);
    } catch {
      // a plain string
    }
    args[p.slice(0, i)] = v;
  }
  return args;
}

export function main(argv: string[]): Promise<number> {
  return runCommand('call', OPTIONS, HELP, argv, async (values, positionals) => {
    const [tool, ...pairs] = positionals;
    if (!tool) throw new UsageError('name the tool to call, e.g. meshmcp call get_health');
    const args = parseArguments(pairs, values['args']);
    const client = await connect(values);
    try {
      const result = await client.callTool({ name: tool, arguments: args });
      if (values['json']) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        for (const c of (result.content ?? []) as { type: string; text?: string }[]) {
          process.stdout.write(c.type === 'text' ? `${c.text}\n` : `[${c.type} content]\n`);
        }
      }
      return result.isError ? 1 : 0;
    } finally {
      await client.close();
    }
  });
}
