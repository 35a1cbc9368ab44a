import fc from 'fast-check';

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
];

export const hostileText = (maxLength = 200): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 8, unit: 'grapheme' })), { minLength: 1, maxLength: 12 })
    .map((parts) => parts.join(''))
    .map((s) => (s.length > maxLength ? s.slice(0, maxLength) : s))
    .filter((s) => s.length > 0 && s.trim().length > 0 && s.isWellFormed());

/** The seed: fixed in CI for reproducibility plus a random run; a failure prints the seed to replay. */
export function propertyParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : process.env.CI === 'true' ? 20261123 : Date.now() % 2 ** 31;
  return { numRuns, seed, verbose: 1 };
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

/** Whether an SSID is one the validator accepts (else the property is: refused with a located error). */
export const ssidAcceptable = (s: string) => Buffer.byteLength(s, 'utf8') <= 32 && !/[\u0000-\u001f\u007f]/.test(s);
