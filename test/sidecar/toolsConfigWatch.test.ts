// Loading tools.yaml from disk and reloading on change, including a Kubernetes ConfigMap-style `..data` symlink swap.
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../sidecar/errors.js';
import { loadToolsConfig, watchToolsConfig } from '../../sidecar/toolsConfig/index.js';

const opts = { serviceName: 'payment-service' };
const tool = (name: string) => `- {name: ${name}, description: d, endpoint: /x}\n`;

/** Polls until check() holds; the bound only keeps a broken test from hanging. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'meshmcp-tools-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadToolsConfig', () => {
  it('returns no tools when the file does not exist (the config is optional)', async () => {
    expect(await loadToolsConfig(path.join(dir, 'tools.yaml'), opts)).toEqual([]);
  });

  it('builds the tools of a valid file', async () => {
    const file = path.join(dir, 'tools.yaml');
    await writeFile(file, tool('a') + tool('b'));
    expect((await loadToolsConfig(file, opts)).map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('throws ConfigErrors naming the file for an invalid or unreadable one', async () => {
    const file = path.join(dir, 'tools.yaml');
    await writeFile(file, '- {name: a}\n');
    await expect(loadToolsConfig(file, opts)).rejects.toThrow(ConfigErrors);
    await expect(loadToolsConfig(file, opts)).rejects.toThrow(`${file}: tools[0]`);
    const err = await loadToolsConfig(dir, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors[0]!.fix).toContain('TOOLS_CONFIG');
  });
});

describe('watchToolsConfig', () => {
  it('reports a rewrite of the file once the writes settle', async () => {
    const file = path.join(dir, 'tools.yaml');
    await writeFile(file, tool('a'));
    let changes = 0;
    const w = watchToolsConfig(file, () => changes++, { debounceMs: 50, pollMs: 60_000 });
    try {
      await writeFile(file, tool('a') + tool('b'));
      await until(() => changes > 0, 'a change');
      expect((await loadToolsConfig(file, opts)).map((t) => t.name)).toEqual(['a', 'b']);
    } finally {
      w.close();
    }
  });

  it('follows a ConfigMap volume update (..data symlink swap)', async () => {
    // The kubelet's layout: tools.yaml -> ..data/tools.yaml, ..data -> ..<timestamp>/
    await mkdir(path.join(dir, '..2024_01_01_00_00_00.1'));
    await writeFile(path.join(dir, '..2024_01_01_00_00_00.1', 'tools.yaml'), tool('before'));
    await symlink('..2024_01_01_00_00_00.1', path.join(dir, '..data'));
    await symlink('..data/tools.yaml', path.join(dir, 'tools.yaml'));
    const file = path.join(dir, 'tools.yaml');
    expect((await loadToolsConfig(file, opts)).map((t) => t.name)).toEqual(['before']);

    let changes = 0;
    const w = watchToolsConfig(file, () => changes++, { debounceMs: 50, pollMs: 60_000 });
    try {
      await mkdir(path.join(dir, '..2024_01_01_00_01_00.2'));
      await writeFile(path.join(dir, '..2024_01_01_00_01_00.2', 'tools.yaml'), tool('after'));
      await symlink('..2024_01_01_00_01_00.2', path.join(dir, '..data_tmp'));
      await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      await rm(path.join(dir, '..2024_01_01_00_00_00.1'), { recursive: true });
      await until(() => changes > 0, 'the swap to be noticed');
      expect((await loadToolsConfig(file, opts)).map((t) => t.name)).toEqual(['after']);
    } finally {
      w.close();
    }
  });

  it('falls back to polling when the directory cannot be watched yet', async () => {
    const sub = path.join(dir, 'later');
    const file = path.join(sub, 'tools.yaml');
    let changes = 0;
    const w = watchToolsConfig(file, () => changes++, { debounceMs: 50, pollMs: 100 });
    try {
      await mkdir(sub);
      await writeFile(file, tool('late'));
      await until(() => changes > 0, 'the poll to see the new file');
      expect((await loadToolsConfig(file, opts)).map((t) => t.name)).toEqual(['late']);
    } finally {
      w.close();
    }
  });

  it('stops calling back once closed, and survives a throwing callback', async () => {
    const file = path.join(dir, 'tools.yaml');
    await writeFile(file, tool('a'));
    let changes = 0;
    const w = watchToolsConfig(
      file,
      () => {
        changes++;
        throw new Error('reload failed');
      },
      { debounceMs: 20, pollMs: 50 },
    );
    await writeFile(file, tool('b'));
    await until(() => changes >= 1, 'the first change');
    const afterFirst = changes;
    await writeFile(file, tool('c') + tool('d'));
    await until(() => changes > afterFirst, 'the second change after a throwing callback');
    w.close();
    const atClose = changes;
    await writeFile(file, tool('e'));
    // several poll periods pass with the watcher closed
    await new Promise((r) => setTimeout(r, 300));
    expect(changes).toBe(atClose);
  });
});
