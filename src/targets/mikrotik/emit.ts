/**
 * chargewall.rsc, built in code (no template). Command lines arrive built by index.ts with every value
 * through escape.ts (`lit` and friends); `#` comment text (site name, titles, notes, restore advice)
 * through escape.ts `commentText`. `lines()` refuses any part that would add a line, and index.ts
 * still parses the whole script (checkSyntax) before it is written.
 */
import { lines, prefixed } from '../../render/lines.js';

export interface RscView {
  header: string[];
  tag: string;
  sections: { title: string; notes: string[]; lines: string[] }[];
  undo: string[];
  keepsProfiles: boolean;
  restore: { what: string; cmd?: string }[];
}

export function chargewallRsc(v: RscView): string {
  return lines(
    prefixed('# ', v.header),
    '#',
    '# Apply (STEPS.md has the whole procedure): take an /export first, turn on Safe Mode (Ctrl+X in the',
    '# terminal, or the Safe Mode button in Winbox), upload this file and run',
    '#   /import file-name=chargewall.rsc verbose=yes',
    '# (RouterOS 7.16+: add dry-run to check it first). Do not paste it into a terminal: a paste runs every',
    '# line even after a failed one, /import stops at the first error.',
    '# The order is fail-closed: preflight, interface list, address lists, the filter chain and its jumps,',
    '# input, NAT, and only then address, DHCP, router DNS/NTP and Wi-Fi. Stopping after any line leaves',
    '# the charger segment either unrouted or behind the complete chain.',
    `# Safe to run again: every item it creates has a comment starting with "${v.tag}". A changed chain is`,
    '# built next to the old one before the jumps switch to it (make before break).',
    v.sections.flatMap((s) => ['', `# ---- ${s.title}`, ...prefixed('# ', s.notes), ...s.lines]),
    '',
    '# ---- Undo: paste these lines (without the leading "# ") to remove everything this script added,',
    '# in fail-closed order (Wi-Fi and addressing first, the rules last).',
    v.keepsProfiles && '# The Wi-Fi profiles it created stay until the radio is restored from your /export; then remove them by name.',
    prefixed('# ', v.undo),
    '# Then restore what the script changed but cannot know the earlier value of, from your /export:',
    v.restore.flatMap((r) => [`#   ${r.what}`, ...(r.cmd ? [`#     ${r.cmd}`] : [])]),
  );
}
