import fc from 'fast-check';
import { UNHOLDABLE } from '../src/spec/rules.js';

/**
 * Hostile text for property tests: the characters that end strings or start commands in some output
 * format (quotes, backslashes, $, [ ], { }, {{ }}, ;, CDATA terminators, XML/HTML, newlines, NUL,
 * control characters), mixed with plain and non-ASCII text, up to long lengths.
 */
const fragments = [
  '"', "'", '\\', '$', '$(reboot)', '`id`', '[', ']', '[/system reboot]', '{', '}', '{{', '}}', '{{{x}}}', ';', ';/system reset-configuration',
  ']]>', '<![CDATA[', '</descr>', '<rule>', '&', '&amp;', '<', '>', '\n', '\r', '\r\n', '\t', '\u0000', '\u0007', '\u001b[31m', '\u007f',
  '\u2028', '#', '# comment', '--', '-j ACCEPT', '\n-A FORWARD -j ACCEPT', '\nCOMMIT', '\ninterface=eth0', '?', '*', '%s', '%n', '|', '&&', '\\"', '\\n',
  'å', 'ö', 'Ω', '漢字', '🚗⚡', 'e\u0301', ' ', '  ', 'x', 'Garage', '"; /system reboot; "', '\\\\"\\\\', ':put', '/ip firewall filter',
  '| x |', '`', '_', '*bold*', '\\_', '&#x41;', '&lt;', '${x}', "'; DROP", '\u0085', '\u009b',
];

export const hostileText = (maxLength = 200): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 8, unit: 'grapheme' })), { minLength: 1, maxLength: 12 })
    .map((parts) => parts.join(''))
    .map((s) => (s.length > maxLength ? s.slice(0, maxLength) : s))
    .filter((s) => s.length > 0 && s.trim().length > 0 && s.isWellFormed());

/** Long text: many non-ASCII graphemes (multi-byte UTF-8, combining marks, emoji) up to `maxLength`. */
export const longText = (maxLength = 200): fc.Arbitrary<string> =>
  fc
    .string({ unit: 'grapheme', minLength: Math.min(120, maxLength), maxLength })
    .map((s) => (s.length > maxLength ? s.slice(0, maxLength) : s))
    .filter((s) => s.trim().length > 0 && s.isWellFormed());

/** Hostile or long, so both kinds show up in every run. */
export const freeText = (maxLength = 200): fc.Arbitrary<string> => fc.oneof({ weight: 4, arbitrary: hostileText(maxLength) }, { weight: 1, arbitrary: longText(maxLength) });

/** The fixed seed CI uses, so a failure reproduces; replay another seed with FC_SEED=<seed>. */
export const FIXED_SEED = 20261123;

/** The seed: fixed in CI for reproducibility plus a random run; a failure prints the seed to replay. */
export function propertyParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : process.env.CI === 'true' ? FIXED_SEED : Date.now() % 2 ** 31;
  return { numRuns, seed, verbose: 1 };
}

/**
 * Both runs every time: the fixed seed (reproducible everywhere) and a random one (new cases on every
 * run; FC_SEED replaces it). fast-check prints the seed and path of a failing case; so does the label.
 */
export function propertyRuns(numRuns: number): { label: string; params: fc.Parameters<unknown> }[] {
  const random = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
  return [
    { label: `fixed seed ${FIXED_SEED}`, params: { numRuns, seed: FIXED_SEED, verbose: 1 } },
    { label: `random seed ${random} (replay: FC_SEED=${random})`, params: { numRuns, seed: random, verbose: 1 } },
  ];
}

/** A spec with the hostile text in every free-text field. */
export function hostileSpec(t: { siteName: string; unitName: string; ssid: string; description: string }): string {
  const q = (s: string) => JSON.stringify(s);
  return `version: 1
site: { id: hostile, name: ${q(t.siteName)} }
profile: zaptec-pro
chargers:
  count: 4
  units:
    - { name: ${q(t.unitName)}, mac: "98:3d:ae:00:00:01", ip: 10.77.0.10, rssi: -60 }
network:
  subnet: 10.77.0.0/24
  vlan: 77
wifi:
  ssid: ${q(t.ssid)}
  passphrase: { env: CHARGER_WIFI_PSK }
  channel: 6
  country: SE
extraEndpoints:
  - { name: ocpp, description: ${q(t.description)}, protocol: tcp, ports: [443], hosts: [csms.example.com] }
targets:
  iptables: { lanInterface: br-cw, wanInterface: eth0 }
  mikrotik: { routeros: 7, interface: bridge-chargers, wifi: wifi, wifiInterface: wifi2 }
  pfsense: { interface: opt1 }
  unifi: { apiVersion: "10" }
`;
}

/** Whether free text is one the validator accepts (no character a router cannot hold in a one-line label). */
export const textAcceptable = (s: string) => !UNHOLDABLE.test(s);

/** Whether an SSID is one the validator accepts (else the property is: refused with a located error). */
export const ssidAcceptable = (s: string) => Buffer.byteLength(s, 'utf8') <= 32 && textAcceptable(s);

/** The same text without the characters validation refuses (so every case also renders). */
export const holdable = (s: string) => s.replace(new RegExp(UNHOLDABLE.source, 'g'), '');
