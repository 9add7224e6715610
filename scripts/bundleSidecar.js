// Bundles the sidecar for the sidecar image: the entry dist/sidecar-bundle/meshmcp-sidecar.mjs, and chunks. What is
// reached only by a dynamic import (pg, the packs, bridge mode) is a chunk named for it, loaded on first use, so pods
// without a database tool or a pack never load those. Code they share, with each other or with the entry, goes into
// `chunk-*` files, loaded with the first module that needs them. The version is inlined (shared/version.ts), so the
// bundle reads no package.json at run time.
//
// Node's built-in modules are reached through process.getBuiltinModule, not ESM `import`: on Node 24 an ESM import
// of a built-in builds its module namespace by reading every export, which runs the lazy getters behind them
// (node:fs's `promises`, node:crypto's `webcrypto`, node:util's web types) and pulls in fs/promises, webcrypto,
// undici and http2 at start, megabytes the pod's 64Mi limit cannot spare (the figures are in sidecar/nodeFlags.ts).
// Each export the bundle takes becomes one pure property read, so esbuild drops the ones it does not use.
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const nodeRequire = createRequire(import.meta.url);

/** Source of a module standing in for the built-in `name`: the module object, and each export as a pure read. */
export function builtinShim(name) {
  const names = Object.keys(nodeRequire(name)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
  return [
    `const mod = /* @__PURE__ */ process.getBuiltinModule(${JSON.stringify(name)});`,
    'const read = (k) => mod[k];',
    'export default mod;',
    ...names.map((k, i) => `const e${i} = /* @__PURE__ */ read(${JSON.stringify(k)}); export { e${i} as ${k} };`),
  ].join('\n');
}

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: builtinShim(args.path), loader: 'js' }));
  },
};

// A fresh directory: chunk names carry content hashes, and the image copies everything in it.
rmSync(new URL('../dist/sidecar-bundle/', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { 'meshmcp-sidecar': 'sidecar/bin.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outdir: 'dist/sidecar-bundle',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  define: { MESHMCP_BUNDLED_VERSION: JSON.stringify(version) },
  plugins: [lazyBuiltins],
  // CommonJS dependencies (pg) call require(); it is made on first use, so a pod without them never pays for it.
  banner: {
    js: "let __req; function require(id) { __req ??= process.getBuiltinModule('node:module').createRequire(import.meta.url); return __req(id); }",
  },
  logLevel: 'warning',
});
