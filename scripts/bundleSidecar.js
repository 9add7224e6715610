// Bundles the sidecar into one ESM file (dist/meshmcp-sidecar.mjs) for the sidecar image; pg stays a lazy chunk
// so pods without a database tool never load it.
import { build } from 'esbuild';

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
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
