// `meshmcp list`: lists the tools of an MCP endpoint with the real SDK client (all pages).

import { helpText, runCommand } from '../shared/options.js';
import { CLIENT_OPTIONS, connect } from './mcpClient.js';

const HELP = helpText('meshmcp list [options]', 'Lists the tools an MCP endpoint offers.', CLIENT_OPTIONS);

export function main(argv: string[]): Promise<number> {
  return runCommand('list', CLIENT_OPTIONS, HELP, argv, async (values) => {
    const client = await connect(values);
    try {
      const tools = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined);
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      if (values['json']) {
        process.stdout.write(`${JSON.stringify(tools, null, 2)}\n`);
        return 0;
      }
      const width = Math.max(4, ...tools.map((t) => t.name.length)) + 2;
      for (const t of tools) {
        const ro = t.annotations?.readOnlyHint === false ? 'writes' : 'read-only';
        const first = (t.description ?? '').split('\n')[0]!.slice(0, 100);
        process.stdout.write(`${t.name.padEnd(width)}${ro.padEnd(11)}${first}\n`);
      }
      process.stdout.write(`${tools.length} tools\n`);
      return 0;
    } finally {
      await client.close();
    }
  });
}
