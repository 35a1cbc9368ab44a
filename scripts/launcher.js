#!/usr/bin/env node
// chargewall's command-line entry (copied to dist/cli/main.js by scripts/bundle.mjs).
// It runs the bundled CLI (chargewall.cjs) through V8 with the code cache made at build time, so a
// run skips compiling the functions a render needs: start-up stays close to bare Node. A cache from
// another Node version is rejected by V8 and the bundle simply compiles as usual.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'chargewall.cjs');
const cacheFile = `${bundle}.cache`;
const makeCache = process.env.CHARGEWALL_MAKE_CODE_CACHE === '1';
const cachedData = !makeCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
const source = readFileSync(bundle, 'utf8');
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData,
});
if (makeCache) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, here);
