// `meshmcp connect`: prints the MCP client configuration for an endpoint, or installs it into Claude Desktop's or
// VS Code's configuration file: merged with what is there (other servers kept), the old file kept as .bak, the new
// one written whole or not at all.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import { helpText, type OptionSpec, runCommand, UsageError } from '../shared/options.js';
import { TOOL_NAME } from '../shared/toolName.js';
import {
  claudeCodeCommand,
  claudeDesktopEntry,
  clientConfigText,
  type Endpoint,
  vscodeEntry,
} from './clientConfigs.js';

const CLIENTS = ['all', 'claude-desktop', 'claude-code', 'vscode'] as const;
type Client = (typeof CLIENTS)[number];

const OPTIONS: OptionSpec[] = [
  {
    flag: 'url',
    env: 'MESHMCP_URL',
    type: 'string',
    default: 'http://127.0.0.1:3000/mcp',
    description: 'the MCP endpoint (the gateway)',
  },
  {
    flag: 'key',
    env: 'MESHMCP_API_KEY',
    type: 'string',
    description: 'API key or token, sent as Authorization: Bearer',
  },
  { flag: 'name', type: 'string', default: 'meshmcp', description: "the server's name in the client configuration" },
  { flag: 'client', type: 'string', default: 'all', description: `${CLIENTS.join(', ')}` },
  {
    flag: 'install',
    type: 'boolean',
    default: false,
    description: 'write it into the client configuration file (claude-desktop, vscode) instead of printing it',
  },
  {
    flag: 'config-file',
    type: 'string',
    defaultText: "the client's usual file",
    description: 'the configuration file to install into',
  },
];

const HELP = helpText(
  'meshmcp connect [options]',
  'Prints the configuration that connects an MCP client (Claude Desktop, Claude Code, VS Code) to a meshmcp endpoint,\n' +
    "or installs it into the client's configuration file with --install.",
  OPTIONS,
);

/** Where Claude Desktop keeps its configuration on this platform. */
export function claudeDesktopConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (platform() === 'darwin') return join(homedir(), 'Library/Application Support/Claude/claude_desktop_config.json');
  if (platform() === 'win32') return join(env['APPDATA'] ?? homedir(), 'Claude', 'claude_desktop_config.json');
  return join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'Claude', 'claude_desktop_config.json');
}

async function install(file: string, key: 'mcpServers' | 'servers', name: string, entry: object): Promise<boolean> {
  let doc: Record<string, unknown> = {};
  let existed = true;
  try {
    const text = await readFile(file, 'utf8');
    const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    doc = parsed as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') existed = false;
    else throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it or pass --config-file`);
  }
  const servers = doc[key] ?? {};
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    throw new Error(`${file}: "${key}" is not an object; fix it by hand`);
  }
  const replaced = name in servers;
  doc[key] = { ...servers, [name]: entry };
  await mkdir(dirname(file), { recursive: true });
  if (existed) await copyFile(file, `${file}.bak`);
  try {
    await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    throw new Error(`cannot write ${file}: ${(err as Error).message}`);
  }
  return replaced;
}

export function main(argv: string[]): Promise<number> {
  return runCommand('connect', OPTIONS, HELP, argv, async (values, positionals) => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const client = String(values['client']) as Client;
    if (!CLIENTS.includes(client)) throw new UsageError(`--client must be one of ${CLIENTS.join(', ')}`);
    const url = String(values['url']);
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new UsageError(`--url ${JSON.stringify(url)} is not an http(s) URL`);
    }
    const name = String(values['name']);
    if (!TOOL_NAME.test(name)) throw new UsageError('--name must be 1-64 letters, digits, _ or -');
    const e: Endpoint = { name, url, ...(typeof values['key'] === 'string' ? { key: values['key'] } : {}) };

    if (values['install'] !== true) {
      if (client === 'all') process.stdout.write(clientConfigText(e));
      else if (client === 'claude-code') process.stdout.write(`${claudeCodeCommand(e)}\n`);
      else {
        const doc =
          client === 'vscode'
            ? { servers: { [name]: vscodeEntry(e) } }
            : { mcpServers: { [name]: claudeDesktopEntry(e) } };
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      }
      return 0;
    }
    if (client === 'all' || client === 'claude-code') {
      throw new UsageError(
        '--install needs --client claude-desktop or vscode (Claude Code installs with the command `meshmcp connect --client claude-code` prints)',
      );
    }
    const file =
      (values['config-file'] as string | undefined) ??
      (client === 'vscode' ? join(process.cwd(), '.vscode', 'mcp.json') : claudeDesktopConfigPath());
    const replaced = await install(
      file,
      client === 'vscode' ? 'servers' : 'mcpServers',
      name,
      client === 'vscode' ? vscodeEntry(e) : claudeDesktopEntry(e),
    );
    process.stderr.write(
      `${replaced ? 'replaced' : 'added'} server "${name}" in ${file}` +
        `${e.key ? ' (the key is stored there in plain text, as the client expects)' : ''}; restart the client\n`,
    );
    return 0;
  });
}
