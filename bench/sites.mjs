// The generated sites the benchmark renders.

/** A varied but valid site: different ids, sizes, subnets, leases, Wi-Fi on most. */
export function siteSpec(i) {
  const count = 4 + (i % 60);
  const b = (i >> 8) & 255;
  const c = i & 255;
  const units = Array.from({ length: Math.min(count, 8) }, (_, u) =>
    `    - { name: "Unit ${u + 1}", mac: "98:3d:ae:${(b).toString(16).padStart(2, '0')}:${c.toString(16).padStart(2, '0')}:${(u + 1).toString(16).padStart(2, '0')}", ip: 10.${b}.${c}.${10 + u}, rssi: -6${u % 9} }`,
  ).join('\n');
  return `version: 1
site: { id: site-${i}, name: "Benchmark site ${i}" }
profile: zaptec-pro
chargers:
  count: ${count}
  units:
${units}
network:
  subnet: 10.${b}.${c}.0/24
  vlan: ${10 + (i % 4000)}
  dhcp: { pool: auto, headroom: 25, leaseTime: 24h }
${i % 5 === 4 ? '' : `wifi:
  ssid: "Chargers ${i}"
  passphrase: { env: CHARGER_WIFI_PSK }
  channel: ${[1, 6, 11][i % 3]}
  country: SE
`}policy: { dns: redirect, ntp: auto, defaultDeny: true, log: ${i % 2 === 0} }
extraEndpoints:
  - { name: ocpp, protocol: tcp, ports: [443], hosts: [csms${i}.example.com] }
`;
}
