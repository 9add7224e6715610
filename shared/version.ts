// The meshmcp version, read once from package.json. The sidecar bundle gets it inlined at build time
// (scripts/bundleSidecar.js defines MESHMCP_BUNDLED_VERSION), so the sidecar image needs no package.json.
import { readFileSync } from 'node:fs';

declare const MESHMCP_BUNDLED_VERSION: string | undefined;

/** package.json is one level above shared/ in a checkout and two above dist/shared/ when compiled or installed. */
function readPackageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'meshmcp' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export const VERSION: string =
  typeof MESHMCP_BUNDLED_VERSION === 'string' ? MESHMCP_BUNDLED_VERSION : readPackageVersion();
