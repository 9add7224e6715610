// Bundles the sidecar into one ESM file (dist/meshmcp-sidecar.mjs) for the sidecar image; pg stays a lazy chunk
// so pods without a database tool never load it. The version is inlined (shared/version.ts), so the bundle reads
// no package.json at run time.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { 'meshmcp-sidecar': 'sidecar/bin.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/sidecar-bundle',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'lazy-[name]-[hash]',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  define: { MESHMCP_BUNDLED_VERSION: JSON.stringify(version) },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
