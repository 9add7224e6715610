// The Node the meshmcp command is built and tested on (package.json engines: the Node 24 LTS line, 24.11 on). Plain
// JavaScript that parses on any Node, so that an older one hears what to install rather than failing later.
export const NEEDED = '24.11';

/** Why `version` (process.versions.node, e.g. "20.20.2") cannot run meshmcp, or undefined when it can. */
export function tooOld(version) {
  const [major, minor] = version.split('.').map(Number);
  const [needMajor, needMinor] = NEEDED.split('.').map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `meshmcp: needs Node.js ${NEEDED} or newer (the Node 24 LTS line); this is v${version}. ` +
    'Install Node 24 LTS (from nodejs.org, or `nvm install 24` with a version manager) and run it again.'
  );
}
