#!/usr/bin/env node
// chargewall's command-line entry (copied to dist/cli/main.cjs, the bin, by scripts/bundle.mjs).
// CommonJS on purpose: an ES module entry starts Node's ESM loader first, about 20 ms of every run.
// dist/cli/main.js is a two-line ES module that loads this file, for `node dist/cli/main.js`.
// It runs the bundled CLI (chargewall.cjs) through V8 with the code cache made at build time, so a
// run skips compiling the functions a render needs: start-up stays close to bare Node. A cache from
// another Node version is rejected by V8 and the bundle simply compiles as usual.
// Measured against maintained mechanisms (CONTRIBUTING.md, Performance): one site, all targets,
// 698 M instructions with this launcher, 867 M requiring the bundle plainly, 819 M with
// v8-compile-cache (it caches only what V8 compiles up front, not the functions a render runs).
'use strict';
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

// V8 optimises a function once it has run for a while (the interrupt budget). A batch runs many
// mid-sized functions for a few seconds, so at the default budget much of its CPU went to optimising
// functions that would not run long enough to pay it back (a 1 000-site batch on one thread: 2.6 s
// of CPU with it, 3.5 s without, median of 5). Eight times the default budget (67 584) tiers up later, only what stays hot. It is a tuning
// hint, not a semantic flag; set before the bundle is compiled, so the code cache is made and used
// with the same flags.
//
// Node's own modules carry a code cache too, and V8 rejects any code cache made under other flags: a
// built-in first loaded after this line is compiled from its source. So the built-ins the bundle loads
// at start-up are loaded first (a render loaded crypto, os and process after the flag: 21 M instructions
// of compiling, about 3 ms, for a one-site render). test/cli.test.ts checks that none is rejected.
//
// The old generation may grow to 1.5x what survived the last full GC instead of V8's up to 4x on a
// machine with much memory: a batch keeps a few KB per site until its commit, and at 10 000 sites
// that factor, more than the data, set the peak (329-366 MB without, 274-292 MB with; CONTRIBUTING.md).
// Set here, for every run, not when a batch starts: a flag set later makes the worker threads' copy
// of the bundle reject its code cache (flags are process-wide), and a one-site run never reaches a
// full GC, so it costs that run nothing.
for (const builtin of ['node:crypto', 'node:os', 'node:process']) require(builtin);
v8.setFlagsFromString('--interrupt-budget=528000');
v8.setFlagsFromString('--heap-growing-percent=50');

const here = __dirname;
const bundle = join(here, 'chargewall.cjs');
const cacheFile = `${bundle}.cache`;
const makeCache = process.env.CHARGEWALL_MAKE_CODE_CACHE === '1';
const cachedData = !makeCache && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
// The bundle is ASCII (esbuild escapes every other character; scripts/bundle.mjs checks it), so it is
// read as latin1: the same text, without UTF-8 validation (2.2 -> 1.5 ms for the 1.2 MB file).
const source = readFileSync(bundle, 'latin1');
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData,
});
if (makeCache) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
if (process.env.CHARGEWALL_DEBUG_CODE_CACHE === '1') process.stderr.write(`code cache: ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none'}\n`);
const bundleModule = { exports: {} };
script.runInThisContext()(bundleModule.exports, createRequire(bundle), bundleModule, bundle, here);
