// The version every part reports: package.json's, read once (from the sources, the compiled CLI), or inlined at
// build time in the sidecar bundle.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../shared/version.js';
import { meshmcp } from '../support/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('VERSION', () => {
  it('is the version in package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('is what the built meshmcp command prints for --version', async () => {
    const r = await meshmcp(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('is inlined in the sidecar bundle, which reads no package.json at run time', () => {
    // The bundle is its entry file and the chunks it splits out (code shared with what it loads lazily).
    const dir = new URL('../../dist/sidecar-bundle/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
    expect(files).toContain('meshmcp-sidecar.mjs');
    const bundle = files.map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n');
    expect(bundle).toContain(JSON.stringify(pkg.version));
    expect(bundle).not.toContain('package.json');
  });
});
