// Atomic file writes: the target is replaced whole, created with the asked mode, and no temporary file outlives a
// write that worked or one that failed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../shared/atomicWrite.js';

const dir = () => mkdtempSync(join(tmpdir(), 'meshmcp-atomic-'));

describe.each([
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', writeFileAtomicSync],
] as const)('%s', (_name, write) => {
  it('replaces the file whole and leaves no temporary file', async () => {
    const d = dir();
    const file = join(d, 'out.json');
    writeFileSync(file, 'old content that is longer than the new one');
    await write(file, '{"new":true}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"new":true}\n');
    expect(readdirSync(d)).toEqual(['out.json']);
  });

  it('creates a new file with the asked mode', async () => {
    const file = join(dir(), 'secret.json');
    await write(file, '{}', { mode: 0o600 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('throws and removes the temporary file when the rename fails', async () => {
    const d = dir();
    mkdirSync(join(d, 'target'));
    await expect(async () => write(join(d, 'target'), 'x')).rejects.toThrow(/EISDIR/);
    expect(readdirSync(d)).toEqual(['target']);
  });

  it('throws when the directory is missing', async () => {
    await expect(async () => write(join(dir(), 'missing', 'f'), 'x')).rejects.toThrow(/ENOENT/);
  });
});
