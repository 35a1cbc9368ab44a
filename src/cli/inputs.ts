import { Option, type Command } from 'commander';
import { existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { targets } from '../targets/registry.js';
import type { InputRun, TargetFlag } from '../targets/types.js';
import { gitIgnored } from '../util/git.js';
import { readSpec, UsageError } from './batch.js';

/**
 * Inputs the targets declare (TargetInput in src/targets/types.ts) on the command line: their flags,
 * their plans across a run's specs, and what the CLI does with their private outputs. Nothing here
 * knows a target by name; a target with an input adds nothing to src/cli/.
 */

/** Every declared flag with its commander option, in registry order. */
function declared(): { flag: TargetFlag; option: Option }[] {
  return [...targets.values()].flatMap((t) => (t.input?.flags ?? []).map((flag) => ({ flag, option: new Option(flag.argument ? `${flag.name} ${flag.argument}` : flag.name) })));
}

/** Adds the flags the targets offer for `command`, with their help text. */
export function addTargetFlags(cmd: Command, command: 'render' | 'diff'): void {
  for (const { flag, option } of declared()) {
    const help = flag.help[command];
    if (help !== undefined) cmd.addOption(new Option(option.flags, help));
  }
}

/**
 * The declared flags given on this command line, by name, as plain data every thread can receive: a
 * switch is `true`, a file argument `{ file, text }` (read now, so an unreadable one stops the run
 * before anything renders, with a message that names the flag).
 */
export function targetFlagValues(opts: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { flag, option } of declared()) {
    const given = opts[option.attributeName()];
    if (given === undefined || given === false) continue;
    if (flag.file === undefined) {
      values[flag.name] = given;
      continue;
    }
    try {
      values[flag.name] = { file: String(given), text: readSpec(String(given), flag.file) };
    } catch (e) {
      // readSpec says `<file>: cannot read <what> (why)`: the same, after the flag.
      throw new UsageError(`${flag.name} ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return values;
}

/** The given flags render --check repeats in its advice (TargetFlag.advise), as words of the command line. */
export function advisedFlags(opts: Record<string, unknown>): string[] {
  const words: string[] = [];
  for (const { flag, option } of declared()) {
    const given = opts[option.attributeName()];
    if (!flag.advise || given === undefined || given === false) continue;
    words.push(flag.name, ...(flag.argument ? [String(given)] : []));
  }
  return words;
}

/** Per target id, what its input planned for each spec of the run (TargetInput.plan); undefined when no target planned anything. */
export function planInputs(specs: string[], run: InputRun): Record<string, (unknown | undefined)[]> | undefined {
  let planned: Record<string, (unknown | undefined)[]> | undefined;
  for (const [id, t] of targets) {
    const list = t.input?.plan?.(specs, run);
    if (list?.some((v) => v !== undefined)) (planned ??= {})[id] = list;
  }
  return planned;
}

/** `<target>/<file>` of every private output (TargetInput.privateFiles), relative to a site folder. */
const privateOutputs = (): string[] => [...targets].flatMap(([id, t]) => (t.input?.privateFiles ?? []).map((f) => `${id}/${f}`));

/**
 * render --check does not ask for a private output (the whole device configuration) that git ignores
 * and the checkout lacks: it is kept out of the repository on purpose.
 */
export function ignoredPrivateOutput(site: string, out: string): (file: string) => boolean {
  const own = privateOutputs().map((p) => `${site}/${p}`);
  return (f) => own.includes(f) && gitIgnored(join(out, f)) === true;
}

/** After the commit: the private outputs of the targets whose input this site's render read are readable by their owner only. */
export function protectPrivateOutputs(out: string, site: string, inputs: string[]): void {
  for (const id of inputs) {
    for (const f of targets.get(id)?.input?.privateFiles ?? []) {
      const path = join(out, site, id, f);
      if (existsSync(path)) chmodSync(path, 0o600);
    }
  }
}
