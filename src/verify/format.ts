/**
 * The three outputs of `verify`: a table for the terminal, JSON (the contract of DESIGN §3) and
 * Markdown for the change ticket. Details hold text from the network (certificate names, SSIDs):
 * each format escapes it (control characters blanked in text; Markdown-escaped; JSON-encoded).
 */
import { mdCode, mdText } from '../report/escape.js';
import { blankControls } from '../util/text.js';
import { version } from '../version.js';
import type { CheckStatus, VerifyReport } from './types.js';

const line = (s: string) => blankControls(s).replace(/\s+/g, ' ').trim();

function counts(report: VerifyReport): string {
  const n: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const c of report.checks) n[c.status]++;
  return (['pass', 'fail', 'warn', 'skip'] as const).filter((s) => n[s]).map((s) => `${n[s]} ${s}`).join(', ');
}

export function formatJson(report: VerifyReport): string {
  return JSON.stringify({ ok: report.ok, site: report.site, checks: report.checks.map(({ id, status, requirement, detail }) => ({ id, status, requirement, detail })) }, null, 2) + '\n';
}

export function formatText(report: VerifyReport): string {
  const width = Math.min(48, Math.max(...report.checks.map((c) => c.id.length)));
  const out = [`chargewall verify: site ${report.site}: ${report.ok ? 'OK' : 'FAILED'} (${counts(report)})`, ''];
  for (const c of report.checks) {
    out.push(`${c.status.toUpperCase().padEnd(4)}  ${line(c.id).padEnd(width)}  ${line(c.detail)}`);
    if (c.status === 'fail' || c.status === 'warn') out.push(`${' '.repeat(6 + width)}  requirement: ${line(c.requirement)}`);
  }
  return out.join('\n') + '\n';
}

export function formatMarkdown(report: VerifyReport): string {
  const out = [
    `# On-site check: ${mdText(report.site)}`,
    '',
    `Result: **${report.ok ? 'OK' : 'FAILED'}** (${counts(report)}), \`chargewall verify\` ${version}, ${report.checks.find((c) => c.id === 'address')?.status === 'fail' ? 'not run from the charger segment (see `address`): the network checks were skipped' : 'run from the charger segment'}.`,
    '',
    '| check | status | what was measured | requirement |',
    '| --- | --- | --- | --- |',
  ];
  for (const c of report.checks) out.push(`| ${mdCode(c.id)} | ${c.status === 'fail' ? '**FAIL**' : c.status.toUpperCase()} | ${mdText(c.detail)} | ${mdText(c.requirement)} |`);
  return out.join('\n') + '\n';
}
