// Bundles the CLI into one file (dist/cli/main.js, replacing tsc's output for that entry) so start-up
// reads one module instead of ~150: the bundle loads yaml, commander and the Handlebars runtime
// without module resolution. Library entry points (dist/index.js etc.) stay unbundled.
import { build } from 'esbuild';
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The full Handlebars compiler (for a template added since the last build) is loaded through
  // createRequire at run time, which esbuild leaves alone; the small runtime is bundled.
  banner: { js: "import { createRequire as __cwCreateRequire } from 'node:module'; const require = __cwCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
