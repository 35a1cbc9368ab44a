import { createRequire } from 'node:module';

/**
 * `require` for modules loaded on first use (Node built-ins a one-site run does not need).
 * Not `await import()`: the CLI bundle runs in vm.Script, which has no dynamic-import hook.
 */
export const lazyRequire = createRequire(import.meta.url);
