import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderText, requireTools } from './helpers.js';
import { hostileSpec, hostileText, propertyParams, ssidAcceptable } from './arbitraries.js';

/**
 * Hostile free text in every field never changes the structure of the Linux files: the same
 * non-comment lines as with plain text, no extra comment lines, the SSID decodes back unchanged,
 * and the real parsers (iptables-restore, dnsmasq, hostapd) accept the files.
 */
const plain = { siteName: 'Plain', unitName: 'Plain', ssid: 'Plain', description: 'Plain' };

function structure(files: Record<string, string>) {
  const out: Record<string, { lines: string[]; comments: number }> = {};
  for (const [name, text] of Object.entries(files)) {
    const lines = text.split('\n');
    out[name] = {
      comments: lines.filter((l) => l.startsWith('#')).length,
      lines: lines
        .filter((l) => !l.startsWith('#') && l !== 'utf8_ssid=1')
        .map((l) => l.replace(/^ssid2=.*/, 'ssid2=<ssid>').replace(/^(dhcp-host=[^,]+,[^,]+),.*/, '$1,<host>')),
    };
  }
  return out;
}

const render = (t: typeof plain) => renderText(hostileSpec(t), ['iptables'], true, { CHARGER_WIFI_PSK: 'a-fine-passphrase' });

let ns = '';
let dir = '';
let real = false;
beforeAll(() => {
  real = requireTools(['ip', 'ipset', 'iptables-restore', 'dnsmasq', 'hostapd']).ok;
  dir = mkdtempSync(join(tmpdir(), 'cw-hostile-'));
  if (real) {
    ns = `cwh${process.pid}`;
    spawnSync('ip', ['netns', 'add', ns]);
  }
});
afterAll(() => {
  if (ns) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
});

function realParsersAccept(files: Record<string, string>) {
  const p = (n: string) => join(dir, n);
  for (const [name, text] of Object.entries(files)) writeFileSync(p(name.split('/').pop()!), text);
  const ipset = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `ipset -exist restore < ${p('ipset.conf')} && iptables-restore --test ${p('rules.v4')}`], { encoding: 'utf8' });
  expect(ipset.status, ipset.stderr).toBe(0);
  const dnsmasq = spawnSync('dnsmasq', ['--test', `--conf-file=${p('dnsmasq.conf')}`], { encoding: 'utf8' });
  expect(dnsmasq.status, dnsmasq.stderr).toBe(0);
  writeFileSync(p('hostapd-none.conf'), files[Object.keys(files).find((f) => f.endsWith('hostapd.conf'))!].replace('driver=nl80211', 'driver=none').replace(/^bridge=.*$/m, ''));
  const hostapd = spawnSync('timeout', ['0.5', 'hostapd', p('hostapd-none.conf')], { encoding: 'utf8' });
  expect(hostapd.stdout + hostapd.stderr).not.toMatch(/errors found in configuration file/);
}

describe('hostile text in the Linux files', () => {
  const baseline = render(plain);

  it('the baseline renders', () => {
    expect(baseline.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('never changes structure, and the SSID comes back out unchanged', () => {
    let realRuns = 0;
    fc.assert(
      fc.property(hostileText(200), hostileText(64), hostileText(60), hostileText(200), (siteName, unitName, ssidRaw, description) => {
        const ssidOk = ssidAcceptable(ssidRaw);
        const t = { siteName, unitName, ssid: ssidOk ? ssidRaw : 'Plain', description };
        if (!ssidOk) {
          // A value the device cannot hold is refused at validation, located at the SSID.
          const refused = render({ ...t, ssid: ssidRaw });
          expect(refused.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path])).toContainEqual([
            expect.stringMatching(/^ssid-(control-character|too-long)$/),
            'wifi.ssid',
          ]);
        }
        const result = render(t);
        expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        // The Linux files only; the site's README.md has its own hostile-text test (test/report.test.ts).
        const linux = (f: Record<string, string>) => Object.fromEntries(Object.entries(f).filter(([k]) => k.includes('/iptables/')).map(([k, v]) => [k.split('/').pop()!, v]));
        const files = linux(result.files);
        const base = linux(baseline.files);
        const a = structure(files);
        const b = structure(base);
        for (const name of Object.keys(b)) {
          expect(a[name].lines, name).toEqual(b[name].lines);
          expect(a[name].comments, name).toBe(b[name].comments);
        }
        const hex = /^ssid2=([0-9a-f]+)$/m.exec(files['hostapd.conf'])![1];
        expect(Buffer.from(hex, 'hex').toString('utf8')).toBe(t.ssid);
        if (real && realRuns < 8) {
          realRuns++;
          realParsersAccept(result.files);
        }
      }),
      propertyParams(150),
    );
  });
});
