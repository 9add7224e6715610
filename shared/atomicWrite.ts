// Replaces a file whole: the data goes to a temporary file beside it, then a rename over the target, so a reader
// sees the old content or the new, never a part; a failed write removes the temporary file.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

export interface AtomicWriteOptions {
  /** permission bits of a newly created file, e.g. 0o600 for one holding credentials */
  mode?: number;
}

/** In the target's directory (a rename cannot cross filesystems), and unique per write. */
const tempName = (file: string): string => `${file}.${randomBytes(4).toString('hex')}.tmp`;

export async function writeFileAtomic(file: string, data: string, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeFile(tmp, data, opts.mode === undefined ? {} : { mode: opts.mode });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The same for callers that must finish before they return (the control pipeline's filter config files). */
export function writeFileAtomicSync(file: string, data: string, opts: AtomicWriteOptions = {}): void {
  const tmp = tempName(file);
  try {
    writeFileSync(tmp, data, opts.mode === undefined ? {} : { mode: opts.mode });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
