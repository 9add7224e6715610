// The release filter as it was before a given commit's work, compiled from git history with this checkout's
// AssemblyScript, so the filter suite can time it beside the current one in the same run (side by side, same
// machine state). Cached per commit in the OS temporary directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The last commit before MCP servers of their own, /mcp/<service>, prompts and resources reached the filter. */
export const BEFORE_UPSTREAMS = '5d88898';

/** The module built at `commit`, or why it could not be (no git history in this copy, a failed build). */
export function baselineWasm(root: string, commit: string): Uint8Array | string {
  const dir = join(tmpdir(), `meshmcp-filter-${commit}`);
  const out = join(dir, 'filter/build/meshmcp.wasm');
  if (existsSync(out)) return readFileSync(out);
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['-C', root, 'archive', commit, 'filter/assembly', 'asconfig.json']);
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/assemblyscript/bin/asc.js'), 'filter/assembly/index.ts', '--target', 'release'],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return readFileSync(out);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot build the filter at ${commit}: ${(err as Error).message.split('\n')[0]}`;
  }
}
