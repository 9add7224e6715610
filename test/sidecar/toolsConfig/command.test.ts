// command executor with real programs: argv integrity, exit codes, timeout killing the process group, output caps
// and the minimal environment. `/bin/sh -c` below is the command under test; the executor itself never adds a shell.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../../sidecar/errors.js';
import { buildTools, parseToolsConfig } from '../../../sidecar/toolsConfig/index.js';
import type { Tool } from '../../../sidecar/types.js';
import { callTool, testContext } from '../../support/toolContext.js';

function tool(yaml: string): Tool {
  return buildTools(parseToolsConfig(yaml, 'tools.yaml', { serviceName: 'payment-service' }))[0]!;
}

const ctx = (env: Record<string, string> = {}, signal?: AbortSignal) =>
  testContext({ env: { PATH: '/usr/bin:/bin', ...env }, ...(signal ? { signal } : {}) });

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Running, as opposed to gone or a zombie waiting for its new parent to reap it. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

describe('command executor', () => {
  it('passes each argument as one argv element, whatever it contains', async () => {
    const echo = tool('- {name: greet, description: d, command: /bin/echo, args: [hello, "{name}"]}');
    const r = await callTool(echo, { name: 'a  b; rm -rf / && $(id) `x` | *' }, ctx());
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toMatchObject({
      exit_code: 0,
      args: ['hello', 'a  b; rm -rf / && $(id) `x` | *'],
      stdout: 'hello a  b; rm -rf / && $(id) `x` | *\n',
    });
    expect(r.content[0]!.text).toContain("$ /bin/echo hello 'a  b; rm -rf / && $(id) `x` | *'");
    expect(r.content[0]!.text).toContain('exited with code 0');
  });

  it('runs a short-form command line split without a shell', async () => {
    const r = await callTool(tool(`- {name: t, description: d, command: "echo -n 'one two' three"}`), {}, ctx());
    expect(r.structuredContent).toMatchObject({ args: ['-n', 'one two', 'three'], stdout: 'one two three' });
  });

  it('refuses a value that would read as an option', async () => {
    const echo = tool('- {name: t, description: d, command: /bin/echo, args: ["{v}"]}');
    await expect(callTool(echo, { v: '-e' }, ctx())).rejects.toThrow(ToolError);
  });

  it('reports a non-zero exit with stderr as an error result', async () => {
    const sh = tool(`- {name: t, description: d, command: /bin/sh, args: ["-c", "echo out; echo oops >&2; exit 3"]}`);
    const r = await callTool(sh, {}, ctx());
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ exit_code: 3, stdout: 'out\n', stderr: 'oops\n', timed_out: false });
    expect(r.content[0]!.text).toContain('exited with code 3');
  });

  it('kills the whole process group on timeout', async () => {
    const sh = tool(
      `- {name: t, description: d, command: /bin/sh, args: ["-c", "sleep 30 & echo $!; sleep 5; wait"], timeout: 500ms}`,
    );
    const r = await callTool(sh, {}, ctx());
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ timed_out: true, exit_code: null, signal: 'SIGKILL' });
    expect(r.content[0]!.text).toContain('timed out after');
    const background = Number(String(r.structuredContent!['stdout']).trim());
    expect(background).toBeGreaterThan(1);
    await until(() => !alive(background), `background sleep ${background} to be killed`);
  });

  it('stops when the call is cancelled', async () => {
    const ac = new AbortController();
    const sh = tool(`- {name: t, description: d, command: /bin/sh, args: ["-c", "sleep 5"]}`);
    const pending = callTool(sh, {}, ctx({}, ac.signal));
    setTimeout(() => ac.abort(), 100);
    const r = await pending;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('was cancelled');
  });

  it('caps stdout and says it was truncated', async () => {
    const sh = tool(
      `- {name: t, description: d, command: /bin/sh, args: ["-c", "head -c 200000 /dev/zero | tr '\\\\0' x"], max_output_bytes: 1024}`,
    );
    const r = await callTool(sh, {}, ctx());
    expect(r.structuredContent).toMatchObject({ exit_code: 0, stdout_truncated: true });
    expect(String(r.structuredContent!['stdout'])).toBe('x'.repeat(1024));
    expect(r.content[0]!.text).toContain('[stdout truncated: first 1024 of 200000 bytes shown]');
  });

  it('gives the command only PATH and the variables it lists', async () => {
    const env = tool('- {name: t, description: d, command: env, env: [HTTPS_PROXY, NOT_PRESENT]}');
    const r = await callTool(
      env,
      {},
      ctx({ HTTPS_PROXY: 'http://proxy:3128', DATABASE_PASSWORD: 'nope', HOME: '/root' }),
    );
    const lines = String(r.structuredContent!['stdout']).trim().split('\n').sort();
    expect(lines).toEqual(['HTTPS_PROXY=http://proxy:3128', 'PATH=/usr/bin:/bin']);
  });

  it('says when the program is not installed', async () => {
    const missing = tool('- {name: t, description: d, command: meshmcp-no-such-program}');
    await expect(callTool(missing, {}, ctx())).rejects.toThrow(/meshmcp-no-such-program was not found on PATH/);
  });
});
