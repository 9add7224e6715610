// `meshmcp connect` as a user runs it: client configurations printed, and installed into a configuration file
// without losing what was there.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meshmcp } from '../support/cli.js';

const URL_ = 'http://127.0.0.1:3000/mcp';

describe('meshmcp connect', () => {
  it('prints all three client configurations with the key as a bearer header', async () => {
    const r = await meshmcp(['connect', '--url', URL_, '--key', 'k123']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"mcp-remote"');
    expect(r.stdout).toContain('"Authorization: Bearer k123"');
    expect(r.stdout).toContain(`claude mcp add --transport http meshmcp ${URL_} --header 'Authorization: Bearer k123'`);
    const vscode = await meshmcp(['connect', '--url', URL_, '--key', 'k123', '--client', 'vscode']);
    expect(JSON.parse(vscode.stdout)).toEqual({
      servers: { meshmcp: { type: 'http', url: URL_, headers: { Authorization: 'Bearer k123' } } },
    });
  });

  it('installs into an existing Claude Desktop file, keeping other servers and a backup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshmcp-connect-'));
    const file = join(dir, 'claude_desktop_config.json');
    const before = { mcpServers: { other: { command: 'x' } }, theme: 'dark' };
    writeFileSync(file, JSON.stringify(before));
    const r = await meshmcp([
      'connect',
      '--client',
      'claude-desktop',
      '--install',
      '--config-file',
      file,
      '--key',
      'k1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/added server "meshmcp"/);
    const after = JSON.parse(readFileSync(file, 'utf8'));
    expect(after.theme).toBe('dark');
    expect(after.mcpServers.other).toEqual({ command: 'x' });
    expect(after.mcpServers.meshmcp.args).toEqual(['-y', 'mcp-remote', URL_, '--header', 'Authorization: Bearer k1']);
    expect(JSON.parse(readFileSync(`${file}.bak`, 'utf8'))).toEqual(before);
    const again = await meshmcp(['connect', '--client', 'claude-desktop', '--install', '--config-file', file]);
    expect(again.stderr).toMatch(/replaced server "meshmcp"/);
  });

  it('leaves a file it cannot parse untouched and says how to fix it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshmcp-connect-'));
    const file = join(dir, 'mcp.json');
    writeFileSync(file, '{ not json');
    const r = await meshmcp(['connect', '--client', 'vscode', '--install', '--config-file', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not valid JSON.*fix it or pass --config-file/);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
    const bad = await meshmcp(['connect', '--install']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--install needs --client claude-desktop or vscode/);
  });
});
