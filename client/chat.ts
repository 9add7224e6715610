// One chat line in, one chat-markdown answer out, for any bot framework: `mcp list` (a table per server),
// `mcp help <server> <tool>` (usage and parameters), `mcp <server> <tool> [args...]` (the result in a code block,
// long output truncated with a note, an isError result read as an error). Bad input gets the usage lines.
import { callUsage, type InputSchema, mapArguments, parseChatCommand } from './chatParse.js';
import type { MeshClient, ToolInfo } from './meshClient.js';

export interface ChatOptions {
  /** Longest tool output shown; the rest is cut with a note. Default 3000 characters. */
  maxOutputChars?: number;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const firstLine = (s: string, max = 100) => {
  const line = s.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function codeBlock(text: string, max: number): string {
  const cut = text.length > max;
  const body = (cut ? text.slice(0, max) : text).replace(/```/g, '`\u200b``');
  const note = cut ? `\n_(truncated: ${text.length - max} more characters not shown)_` : '';
  return `\`\`\`\n${body}\n\`\`\`${note}`;
}

function listAnswer(tools: ToolInfo[], unavailable: Array<{ server: string; error: string }>): string {
  const byServer = new Map<string, ToolInfo[]>();
  for (const t of tools) byServer.set(t.server, [...(byServer.get(t.server) ?? []), t]);
  const parts: string[] = [];
  for (const [server, list] of [...byServer].sort(([a], [b]) => a.localeCompare(b))) {
    parts.push(`**${server}** (${list.length} tools)`, '', '| tool | what |', '| --- | --- |');
    for (const t of list)
      parts.push(`| \`${t.name}\`${t.readOnly ? '' : ' (writes)'} | ${cell(firstLine(t.description))} |`);
    parts.push('');
  }
  for (const u of unavailable) parts.push(`**${u.server || 'gateway'}** is unavailable: ${u.error}`);
  if (parts.length === 0) return 'No tools are available to you.';
  return parts.join('\n').trim();
}

function helpAnswer(t: ToolInfo): string {
  const schema = t.inputSchema as InputSchema;
  const required = new Set(schema.required ?? []);
  const lines = [
    `**${t.server} ${t.name}**${t.readOnly ? '' : ' (writes)'}: ${t.description}`,
    '',
    callUsage(t.server, t.name, schema),
  ];
  const props = Object.entries(schema.properties ?? {});
  if (props.length > 0) {
    lines.push('', '| parameter | type | required | what |', '| --- | --- | --- | --- |');
    for (const [name, p] of props) {
      const type = Array.isArray(p.type) ? p.type.join(' or ') : (p.type ?? 'any');
      lines.push(`| \`${name}\` | ${type} | ${required.has(name) ? 'yes' : 'no'} | ${cell(p.description ?? '')} |`);
    }
  }
  return lines.join('\n');
}

async function findTool(client: MeshClient, server: string, tool: string): Promise<ToolInfo | string> {
  const { tools, unavailable } = await client.listTools(server);
  const t = tools.find((x) => x.server === server && x.name === tool);
  if (t) return t;
  if (unavailable.length > 0) return `**${server}** is unavailable: ${unavailable[0]!.error}`;
  const names = tools.map((x) => `\`${x.name}\``).join(', ');
  return `${server} has no tool ${tool}${names ? `; it has ${names}` : ''}. Try \`mcp list\`.`;
}

/** Answers one chat line (with or without the leading `mcp`) in chat markdown. Never throws for bad input. */
export async function runChatCommand(client: MeshClient, line: string, options: ChatOptions = {}): Promise<string> {
  const max = options.maxOutputChars ?? 3000;
  const cmd = parseChatCommand(line);
  if (cmd.kind === 'usage') return cmd.text;
  if (cmd.kind === 'list') {
    const { tools, unavailable } = await client.listTools(cmd.server);
    return listAnswer(tools, unavailable);
  }
  const found = await findTool(client, cmd.server, cmd.tool);
  if (typeof found === 'string') return found;
  if (cmd.kind === 'help') return helpAnswer(found);
  let args: Record<string, unknown>;
  try {
    args = mapArguments(cmd.server, cmd.tool, cmd.words, found.inputSchema as InputSchema);
  } catch (err) {
    return (err as Error).message;
  }
  const r = await client.callTool(cmd.server, cmd.tool, args);
  if (r.unavailable) return `**${cmd.server}** is unavailable: ${r.text.replace(/^\S+ is unavailable: /, '')}`;
  const output = r.text || (r.structuredContent ? JSON.stringify(r.structuredContent, null, 2) : '(no output)');
  if (r.isError) return `**${cmd.server} ${cmd.tool} failed:**\n${codeBlock(output, max)}`;
  return `**${cmd.server} ${cmd.tool}**\n${codeBlock(output, max)}`;
}
