// Runs the MCP Inspector CLI (a client nobody here wrote) against an MCP endpoint and returns its exit code and output.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const inspectorBin = join(
  dirname(require.resolve('@modelcontextprotocol/inspector/package.json')),
  'clients/launcher/build/index.js',
);

/** `headers` are sent on every HTTP request (the CLI's `--header "Name: value"`), e.g. an API key. */
export async function inspector(
  url: string,
  args: string[],
  headers: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]);
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [inspectorBin, '--cli', url, '--format', 'json', '--connect-timeout', '10000', ...headerArgs, ...args],
      { timeout: 60_000, env: { ...process.env, MCP_CATALOG_PATH: '/dev/null', NO_COLOR: '1' } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
