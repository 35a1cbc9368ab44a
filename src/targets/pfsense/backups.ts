import { gitIgnored, spawnSync } from '../../util/git.js';
import type { PipelineOptions, SiteRender } from '../../pipeline.js';
import type { ValidationResult } from '../../spec/validate.js';
import { mdText } from './escape.js';
import type { InputRun, TargetInput } from '../types.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { buildPlan } from '../../plan/build.js';
import { validateSpec } from '../../spec/validate.js';
import type { Site } from '../../spec/types.js';
import { targets } from '../registry.js';
import { mergeConfig } from './merge.js';
import { buildModel } from './model.js';

/**
 * pfSense backups named in specs (`targets.pfsense.backup`, or --pfsense-config for every spec):
 * several sites on one firewall name the same backup, and restoring one site's merged file would
 * drop the others. So the sites of one backup are merged in turn (sorted by site id), each into the
 * result of the ones before it, and the last one's config.xml - holding all of them - is the only
 * config.xml written: `<out>/<owner>/pfsense/config.xml`. Plain data, so worker threads get it too.
 */
export interface SiteBackup {
  /** The backup as the admin named it (for messages). */
  file: string;
  /** The text this site merges into: the backup plus the sites before it in the group. */
  text: string;
  /** Site ids of the group that merged, in merge order; the last one holds the merged config.xml. */
  sites: string[];
  /** Site id whose folder gets the one merged config.xml. */
  owner: string;
  /** Set when the merged file must not be written (git would commit it): the located error message. */
  refuse?: string;
}

/** The backup file a site names, resolved against its spec's folder. */
export function backupPath(site: Site, specFile: string): string | undefined {
  const b = site.targets.pfsense.backup;
  return b === undefined ? undefined : resolve(dirname(specFile), b);
}

/** Does `id`'s render include pfsense? ('default': the spec's targets: keys, else every target.) */
function rendersPfsense(site: Site, ids: string[] | 'default'): boolean {
  if (ids !== 'default') return ids.includes('pfsense');
  const named = site.targetKeys.filter((k) => targets.has(k));
  return named.length ? named.includes('pfsense') : true;
}

/** The values of the pfSense flags (plain data from the CLI, see pfsenseInput.flags). */
const CONFIG_FLAG = '--pfsense-config';
const OVERWRITE_FLAG = '--pfsense-overwrite-edits';
const cliBackup = (flags: Record<string, unknown> | undefined) => flags?.[CONFIG_FLAG] as { file: string; text: string } | undefined;

/**
 * Per spec index, what its pfSense render merges into (the input's plan). Specs that do not name a
 * backup (and get no --pfsense-config) are left out. Errors (unreadable spec or backup, a merge that
 * fails) are left to each site's own render, which reports them located. `run.check`: the merge is
 * compared, not written, so git's view of it is not asked.
 */
export function planBackups(specs: string[], run: InputRun): (SiteBackup | undefined)[] {
  const { read, ids } = run;
  const opts = { cliBackup: cliBackup(run.flags), out: run.out, check: run.check };
  const result: (SiteBackup | undefined)[] = new Array(specs.length);
  const groups = new Map<string, { file: string; text: string; members: { index: number; site: Site; profile: any; commit: boolean }[] }>();
  specs.forEach((spec, index) => {
    let text: string;
    try {
      text = read(spec);
    } catch {
      return;
    }
    // Most specs never mention a backup: do not validate them twice.
    if (!opts.cliBackup && !/\bbackup\s*:/.test(text)) return;
    const v = validateSpec(text, spec);
    if (!v.ok || !v.site || !v.profile || !rendersPfsense(v.site, ids)) return;
    const own = backupPath(v.site, spec);
    const key = own ?? (opts.cliBackup ? resolve(opts.cliBackup.file) : undefined);
    if (!key) return;
    let group = groups.get(key);
    if (!group) {
      let backupText: string;
      if (own) {
        if (!existsSync(own)) return;
        try {
          backupText = readFileSync(own, 'utf8');
        } catch {
          return;
        }
      } else backupText = opts.cliBackup!.text;
      group = { file: own ? v.site.targets.pfsense.backup! : opts.cliBackup!.file, text: backupText, members: [] };
      groups.set(key, group);
    }
    group.members.push({ index, site: v.site, profile: v.profile, commit: v.site.targets.pfsense.commitMerged === true });
  });

  const pfsense = targets.get('pfsense')!;
  for (const [key, group] of groups) {
    const members = [...group.members].sort((a, b) => a.site.site.id.localeCompare(b.site.site.id));
    // Each site merges into what the ones before it produced; one that fails is left out of the chain
    // (its own render reports why).
    let text = group.text;
    const inputs: { index: number; text: string; id: string; commit: boolean }[] = [];
    for (const m of members) {
      try {
        const plan = buildPlan(m.site, m.profile, pfsense.capabilities(m.site), 'pfsense');
        const merged = mergeConfig(text, group.file, buildModel(plan, m.site.targets.pfsense.interface), plan).text;
        inputs.push({ index: m.index, text, id: m.site.site.id, commit: m.commit });
        text = merged;
      } catch {
        result[m.index] = { file: group.file, text, sites: [], owner: m.site.site.id };
      }
    }
    if (!inputs.length) continue;
    const sites = inputs.map((i) => i.id);
    const owner = sites[sites.length - 1];
    const refuse = opts.check || inputs.some((i) => i.commit) ? undefined : publicRefusal(join(opts.out, owner, 'pfsense', 'config.xml'), key);
    for (const i of inputs) result[i.index] = { file: group.file, text: i.text, sites, owner, ...(refuse && { refuse }) };
  }
  return result;
}

/**
 * The merged config.xml and the backup are the whole firewall configuration (admin password
 * hashes, SNMP community, VPN keys): by default neither may sit where git would commit it.
 * Outside a git work tree, or without git, there is nothing to refuse.
 */
function publicRefusal(merged: string, backup: string): string | undefined {
  const exposed: string[] = [];
  let top = '';
  for (const path of [merged, backup]) {
    let dir = resolve(dirname(path));
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    const inside = spawnSync('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' });
    if (inside.status !== 0) continue;
    if (spawnSync('git', ['-C', dir, 'check-ignore', '-q', resolve(path)]).status === 0) continue;
    top = inside.stdout.trim();
    exposed.push(relative(top, resolve(path)).split('\\').join('/'));
  }
  if (!exposed.length) return undefined;
  return (
    `the merged config.xml and the backup are the whole firewall configuration (password hashes, SNMP community, keys), and git in ${top} would commit ${exposed.join(' and ')}: ` +
    `ignore them in ${join(top, '.gitignore')} (e.g. the lines '**/pfsense/config.xml' and the backup's path), ` +
    `or, in a private repository, set targets.pfsense.commitMerged: true to commit both so CI can check the merge`
  );
}

/**
 * What this site's pfSense render merges into: the shared plan (planBackups) when there is one, else
 * the backup the spec names (read here), else --pfsense-config. A named backup that cannot be read,
 * or a merged file git would commit, is an error located at targets.pfsense.backup.
 */
export function pfsenseBackup(site: Site, file: string, options: PipelineOptions, result: ValidationResult, out: SiteRender): SiteBackup | undefined {
  const at = ['targets', 'pfsense', 'backup'];
  const error = (code: string, message: string) => {
    const pos = result.locate?.(at) ?? { line: 1, col: 1 };
    out.diagnostics.push({ severity: 'error', code, message: `pfsense: ${message}`, file, line: pos.line, col: pos.col, path: at.join('.') });
  };
  const shared = options.planned?.pfsense as SiteBackup | undefined;
  if (shared) {
    if (shared.refuse) error('pfsense-merged-public', shared.refuse);
    return shared;
  }
  const own = backupPath(site, file);
  if (own !== undefined) {
    try {
      return { file: site.targets.pfsense.backup!, text: readFileSync(own, 'utf8'), sites: [site.site.id], owner: site.site.id };
    } catch (e: any) {
      // Absent where git ignores it: kept out of a public repository on purpose (CI has no backup), a
      // warning a site can acknowledge. Absent where git would track it, or outside git: nothing keeps
      // it out of a repository, so the path is most likely wrong; an error an acknowledgement cannot hide.
      const ignored = options.readOnly && e?.code === 'ENOENT' ? gitIgnored(own) : undefined;
      if (options.readOnly && e?.code === 'ENOENT' && !ignored) {
        const why = ignored === false ? 'git does not ignore that path, so it is not a backup kept out of the repository' : 'it is not in a git work tree, so it is not a backup kept out of a repository';
        error('pfsense-backup-missing', `the backup ${site.targets.pfsense.backup} is not here (${own}) and ${why}: a typo in targets.pfsense.backup? Fix the path (it is relative to the spec), or save the backup there (Diagnostics > Backup & Restore, unencrypted); a backup kept out of a public repository must be listed in .gitignore`);
        return undefined;
      }
      if (ignored) {
        const pos = result.locate?.(at) ?? { line: 1, col: 1 };
        out.diagnostics.push({
          severity: 'warning',
          code: 'pfsense-backup-absent',
          message: `pfsense: the backup ${site.targets.pfsense.backup} is not here (${own}), so the merged config.xml and the pfsense folder of this site are not checked; expected where git ignores the backup to keep it out of the repository (acknowledge: [pfsense-backup-absent] in CI)`,
          file,
          line: pos.line,
          col: pos.col,
          path: at.join('.'),
        });
        out.unchecked = [`${site.site.id}/pfsense/`];
        return undefined;
      }
      error('pfsense-backup-missing', `cannot read the backup ${site.targets.pfsense.backup} (${e?.code === 'ENOENT' ? `no such file: ${own}` : e?.message}): download it in Diagnostics > Backup & Restore (unencrypted) and save it there, or fix the path (it is relative to the spec)`);
      return undefined;
    }
  }
  // --pfsense-config for every spec; a library caller gives the backup as RenderOptions.pfsenseConfig.
  const given = cliBackup(options.flags) ?? options.pfsenseConfig;
  return given && { file: given.file, text: given.text, sites: [site.site.id], owner: site.site.id };
}

/**
 * Sites on one firewall share one merged config.xml: only the last site merged (the owner) keeps it,
 * and every site's STEPS.md says which file to restore, so no one restores a file lacking the others.
 */
export function sharedBackupNote(id: string, backup: SiteBackup, files: Record<string, string>): void {
  if (backup.sites.length < 2) return;
  const owned = backup.owner === id;
  if (!owned) delete files[`${id}/pfsense/config.xml`];
  const others = backup.sites.filter((s) => s !== id);
  files[`${id}/pfsense/STEPS.md`] +=
    `\n## One firewall, ${backup.sites.length} sites: restore one file\n\n` +
    `The backup ${mdText(backup.file)} is named by ${backup.sites.length} sites (${backup.sites.join(', ')}); chargewall merges them all into ONE config.xml: ` +
    `**restore \`${backup.owner}/pfsense/config.xml\`** (in the output folder), once, for all of them. ` +
    (owned
      ? `That is the config.xml in this folder; it also holds the items of ${others.join(', ')}.`
      : `This folder has no config.xml: a file with only this site's items would remove ${others.join(', ')} from the firewall.`) +
    ` "What changed" above is what this site adds. Render these sites' specs in one run, so the merged file holds every one of them.\n`;
}

/** The pfSense target's input: the backup it merges into (the spec's targets.pfsense.backup, a shared group's merge, or --pfsense-config). */
export const pfsenseInput: TargetInput = {
  setting: ['targets', 'pfsense', 'backup'],
  flag: CONFIG_FLAG,
  code: 'pfsense-config',
  flags: [
    // Read before the run; what is in it is checked by the merge, per site, located (code pfsense-config).
    { name: CONFIG_FLAG, argument: '<backup.xml>', file: 'the pfSense backup', advise: true, help: { render: 'pfSense: merge into this config.xml backup', diff: 'pfSense: as for render' } },
    // Not repeated in --check's advice: reverting the admin's edits is a choice the admin makes each time.
    { name: OVERWRITE_FLAG, help: { render: "pfSense: revert changes made on the firewall to chargewall's items (the merge refuses and lists them otherwise)" } },
  ],
  manifestKey: 'pfsenseBackup',
  // The merged config.xml is the whole firewall configuration (password hashes, keys).
  privateFiles: ['config.xml'],
  plan: planBackups,
  prepare(site, file, options, result, out) {
    const backup = pfsenseBackup(site, file, options, result, out);
    if (!backup) return undefined;
    return {
      options: { pfsenseConfig: { file: backup.file, text: backup.text, overwriteEdits: options.flags?.[OVERWRITE_FLAG] === true || options.pfsenseConfig?.overwriteEdits } },
      text: backup.text,
      finish: (files) => {
        if (files[`${site.site.id}/pfsense/STEPS.md`] !== undefined) sharedBackupNote(site.site.id, backup, files);
      },
    };
  },
};
