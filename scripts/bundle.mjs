// Bundles the CLI into one CommonJS file (dist/cli/chargewall.cjs) and puts the launcher at
// dist/cli/main.cjs (the bin; dist/cli/main.js loads it for `node dist/cli/main.js`). Start-up then reads one module instead of ~150 (yaml alone is ~80 ESM
// files), and the launcher runs it with a V8 code cache made here by one real render, so the
// functions a render needs are not compiled again at every run. Library entry points (dist/index.js
// and the modules under it) stay tsc's unbundled ESM.
import { build } from 'esbuild';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// commander loads child_process at start-up for executable subcommands, which chargewall does not
// use; loading it costs about 10 ms of every run. In the bundle it is loaded on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'cw-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'cw-lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  plugins: [lazyChildProcess],
  outfile: 'dist/cli/chargewall.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The ESM sources locate the package through import.meta.url; in the CommonJS bundle that is this file.
  define: { 'import.meta.url': '__cwImportMetaUrl' },
  banner: { js: "const __cwImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  // Every other character as an escape: the launcher reads the bundle as latin1 (checked below).
  charset: 'ascii',
  logLevel: 'warning',
});
// The launcher reads the bundle as latin1, which is the same text only for ASCII.
const nonAscii = readFileSync('dist/cli/chargewall.cjs').findIndex((byte) => byte > 0x7f);
if (nonAscii >= 0) throw new Error(`bundle check failed: dist/cli/chargewall.cjs has a non-ASCII byte at offset ${nonAscii}; the launcher reads it as latin1`);
copyFileSync('scripts/launcher.cjs', 'dist/cli/main.cjs');
chmodSync('dist/cli/main.cjs', 0o755);
// tsc's dist/cli/main.js (the unbundled CLI) becomes a shim: the same launcher for `node dist/cli/main.js`.
writeFileSync('dist/cli/main.js', "#!/usr/bin/env node\n// Runs the launcher (see scripts/launcher.cjs); the bin is main.cjs, which skips the ESM loader.\nimport { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('./main.cjs');\n");
chmodSync('dist/cli/main.js', 0o755);

// The code cache: one render of every target with the launcher's cache writer on.
const out = mkdtempSync(join(tmpdir(), 'cw-cache-'));
const r = spawnSync(process.execPath, ['dist/cli/main.cjs', 'render', 'examples/housing-association.yaml', '--target', 'all', '-o', out], {
  env: { ...process.env, CHARGEWALL_MAKE_CODE_CACHE: '1' },
  encoding: 'utf8',
});
rmSync(out, { recursive: true, force: true });
if (r.status !== 0) throw new Error(`bundle check failed: the bundled CLI could not render the example:\n${r.stderr}`);
