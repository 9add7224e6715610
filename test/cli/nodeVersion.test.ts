// The meshmcp command's Node check: which versions it refuses, and that the refusal names what to install.
import { describe, expect, it } from 'vitest';
import { NEEDED, tooOld } from '../../bin/nodeVersion.js';
import pkg from '../../package.json' with { type: 'json' };

describe('meshmcp on an older Node', () => {
  it('refuses Node before 24.11, naming the version found and what to install', () => {
    for (const v of ['20.20.2', '22.19.0', '24.10.0', '18.0.0']) {
      expect(tooOld(v)).toMatch(
        new RegExp(`needs Node.js 24.11 or newer.*this is v${v.replace(/\./g, '\\.')}.*Install Node 24 LTS`),
      );
    }
  });

  it('runs on 24.11 and later, including later majors', () => {
    for (const v of ['24.11.0', '24.21.0', '26.1.0']) expect(tooOld(v)).toBeUndefined();
  });

  it('asks for what package.json engines says', () => {
    expect(pkg.engines.node).toBe(`>=${NEEDED}`);
  });

  it('is what the command itself checks on this Node', () => {
    expect(tooOld(process.versions.node)).toBeUndefined();
  });
});
