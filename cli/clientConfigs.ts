// MCP client configurations for an endpoint with a bearer key: Claude Desktop (through mcp-remote, its bridge to
// remote servers), Claude Code and VS Code. Pure; `meshmcp connect` prints or installs them, `meshmcp dev` prints them.

export interface Endpoint {
  /** Server name in the client's configuration. */
  name: string;
  url: string;
  /** Sent as Authorization: Bearer <key>; none for an endpoint without auth. */
  key?: string;
}

export function claudeDesktopEntry(e: Endpoint): Record<string, unknown> {
  const args = ['-y', 'mcp-remote', e.url];
  if (e.key) args.push('--header', `Authorization: Bearer ${e.key}`);
  // mcp-remote refuses plain http except for localhost unless told.
  if (e.url.startsWith('http:') && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(e.url)) {
    args.push('--allow-http');
  }
  return { command: 'npx', args };
}

export function vscodeEntry(e: Endpoint): Record<string, unknown> {
  return { type: 'http', url: e.url, ...(e.key ? { headers: { Authorization: `Bearer ${e.key}` } } : {}) };
}

/** The shell command Claude Code users run (argv quoted for a POSIX shell). */
export function claudeCodeCommand(e: Endpoint): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const argv = ['claude', 'mcp', 'add', '--transport', 'http', e.name, e.url];
  if (e.key) argv.push('--header', `Authorization: Bearer ${e.key}`);
  return argv.map(q).join(' ');
}

/** All three, as `meshmcp dev` and `meshmcp connect` print them. */
export function clientConfigText(e: Endpoint): string {
  return `Claude Desktop (claude_desktop_config.json, through mcp-remote):
${JSON.stringify({ mcpServers: { [e.name]: claudeDesktopEntry(e) } }, null, 2)}

Claude Code:
  ${claudeCodeCommand(e)}

VS Code (.vscode/mcp.json):
${JSON.stringify({ servers: { [e.name]: vscodeEntry(e) } }, null, 2)}
`;
}
