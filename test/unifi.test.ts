import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { exampleFiles, renderText, root } from './helpers.js';
import { formatErrors, loadUnifiApi, resolvePlaceholders } from './unifi-openapi.js';
import { apiLiteral } from '../src/targets/unifi/escape.js';
import type { IntegrationApiFile } from '../src/targets/unifi/index.js';

const api = loadUnifiApi();
const housing = parse(readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8'));
// The APs that serve the chargers carry this device tag (targets.unifi.apDeviceTags).
housing.targets.unifi.apDeviceTags = ['Laddare garage'];
const zaptec = parse(readFileSync(join(root, 'profiles', 'zaptec-pro.yaml'), 'utf8'));

/** The housing-association spec with changes applied (a deep copy; YAML accepts JSON). */
function spec(change: (s: any) => void = () => {}): string {
  const s = structuredClone(housing);
  change(s);
  return JSON.stringify(s);
}

function render(text: string, withSecrets = false, env: Record<string, string> = { CHARGER_WIFI_PSK: 'golden-test-passphrase' }) {
  const r = renderText(text, ['unifi'], withSecrets, env);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code}: ${d.message}`).join('\n'));
  const dir = Object.keys(r.files)[0].split('/')[0];
  const json = r.files[`${dir}/unifi/integration-api.json`];
  return {
    doc: (json === undefined ? undefined : JSON.parse(json)) as IntegrationApiFile,
    steps: r.files[`${dir}/unifi/STEPS.md`],
    plan: r.plans.unifi,
    diagnostics: r.diagnostics.filter((d) => d.code.startsWith('unifi-')),
  };
}

function renderError(text: string) {
  const r = renderText(text, ['unifi']);
  return r.diagnostics.filter((d) => d.severity === 'error');
}

const resolve = resolvePlaceholders;

/** Every request: the operation exists, path/query parameters are complete, the body validates. */
function checkAgainstOpenApi(doc: IntegrationApiFile) {
  expect(doc.api).toBe('UniFi Network Integration API');
  expect(doc.version).toBe(api.doc.info.version);
  const ids = new Set<string>();
  for (const r of doc.requests) {
    expect(ids.has(r.id), `duplicate id ${r.id}`).toBe(false);
    // $ref only to requests earlier in the list
    JSON.stringify(r).replace(/"\$ref:([^"]+)"/g, (_, id) => {
      expect(ids.has(id), `${r.id} refers to ${id} before it is created`).toBe(true);
      return '';
    });
    ids.add(r.id);
    const op = api.operation(r.method, r.path);
    expect(op, `${r.method} ${r.path} is not in the OpenAPI document`).toBeDefined();
    const params = (op.parameters ?? []) as { name: string; in: string; required?: boolean }[];
    const templ = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(r.params).sort()).toEqual(templ);
    expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort()).toEqual(templ);
    const query = params.filter((p) => p.in === 'query');
    for (const q of query.filter((p) => p.required)) expect(r.query?.[q.name], `${r.id}: query ${q.name}`).toBeDefined();
    for (const q of Object.keys(r.query ?? {})) expect(query.map((p) => p.name)).toContain(q);
    const validate = api.bodyValidator(r.method, r.path)!;
    const ok = validate(resolve(r.body));
    expect(ok, `${r.id}:\n${formatErrors(validate.errors)}`).toBe(true);
  }
}

const policies = (doc: IntegrationApiFile) => doc.requests.filter((r) => r.path === '/v1/sites/{siteId}/firewall/policies') as any[];
const byId = (doc: IntegrationApiFile, id: string) => doc.requests.find((r) => r.id === id) as any;

describe('unifi: requests against the official OpenAPI document', () => {
  it('the validator can fail: unknown keys, wrong discriminator values, wrong enums, missing fields', () => {
    const { doc } = render(spec());
    const validate = api.bodyValidator('POST', '/v1/sites/{siteId}/firewall/policies')!;
    const good = resolve(byId(doc, 'allow-https').body) as any;
    expect(validate(good), formatErrors(validate.errors)).toBe(true);
    const bad = (f: (b: any) => void) => {
      const b = structuredClone(good);
      f(b);
      return validate(b);
    };
    expect(bad((b) => (b.destination.trafficFilter.domains = ['x.example']))).toBe(false); // key at the wrong level
    expect(bad((b) => (b.destination.trafficFilter.type = 'FQDN'))).toBe(false);
    expect(bad((b) => delete b.destination.trafficFilter.domainFilter)).toBe(false);
    expect(bad((b) => (b.destination.trafficFilter.portFilter.items[0].value = 70000))).toBe(false);
    expect(bad((b) => (b.ipProtocolScope.protocolFilter.protocol.name = 'tcpp'))).toBe(false);
    // The mapping keys are the wire format (a 10.6.106 controller refuses the enum's lower case: go-unifi#195).
    expect(good.ipProtocolScope.protocolFilter.protocol.name).toBe('TCP');
    expect(bad((b) => (b.ipProtocolScope.protocolFilter.protocol.name = 'tcp'))).toBe(false);
    expect(bad((b) => (b.ipProtocolScope.protocolFilter.protocol.name = 'UDP'))).toBe(true);
    expect(bad((b) => (b.ipProtocolScope = { ipVersion: 'IPV4', protocolFilter: { type: 'PRESET', preset: { name: 'TCP_UDP' } } }))).toBe(true);
    expect(bad((b) => (b.connectionStateFilter = ['NEW', 'OLD']))).toBe(false);
    expect(bad((b) => (b.destination.zoneId = 'External'))).toBe(false); // not a uuid: placeholders must be resolved
    expect(bad((b) => delete b.action.allowReturnTraffic)).toBe(false);
    const wifi = api.bodyValidator('POST', '/v1/sites/{siteId}/wifi/broadcasts')!;
    const w = resolve(byId(doc, 'wifi').body) as any;
    expect(wifi(w), formatErrors(wifi.errors)).toBe(true);
    expect(wifi({ ...w, broadcastingFrequenciesGHz: [2.5] })).toBe(false);
    expect(wifi({ ...w, securityConfiguration: { ...w.securityConfiguration, passphrase: 'short' } })).toBe(false);
    const net = api.bodyValidator('POST', '/v1/sites/{siteId}/networks')!;
    const n = resolve(byId(doc, 'network').body) as any;
    expect(net(n), formatErrors(net.errors)).toBe(true);
    expect(net({ ...n, vlanId: 4010 })).toBe(false);
    expect(net({ ...n, ipv4Configuration: { ...n.ipv4Configuration, dhcpConfiguration: { mode: 'SERVER' } } })).toBe(false);
    expect(api.operation('POST', '/v1/sites/{siteId}/firewall/rules')).toBeUndefined();
  });

  const variants: [string, string, boolean?][] = [
    ['housing association (default)', spec()],
    ['with secrets', spec(), true],
    ['policy.ntp: any', spec((s) => (s.policy.ntp = 'any'))],
    ['policy.dns: allow-fallback', spec((s) => (s.policy.dns = 'allow-fallback'))],
    ['policy.dns: router-only, log off', spec((s) => ((s.policy.dns = 'router-only'), (s.policy.log = false)))],
    ['defaultDeny: false', spec((s) => (s.policy.defaultDeny = false))],
    ['no Wi-Fi, no units', spec((s) => (delete s.wifi, (s.chargers.units = [])))],
    ['extra endpoint with an IPv4 literal and two ports', spec((s) => ((s.extraEndpoints[0].hosts = ['csms.example.com', '192.0.2.10']), (s.extraEndpoints[0].ports = [443, 8443])))],
    ['channel 1', spec((s) => (s.wifi.channel = 1))],
    ['no device tags', spec((s) => delete s.targets.unifi.apDeviceTags)],
    ['cellular backup off, two device tags', spec((s) => ((s.targets.unifi.cellularBackup = false), (s.targets.unifi.apDeviceTags = ['A', 'B'])))],
    ['extra endpoint on its own host, port 8443', spec((s) => (s.extraEndpoints = [{ name: 'api-alt', hosts: ['csms.example.com'], ports: [8443], protocol: 'tcp' }]))],
  ];
  for (const [name, text, secrets] of variants) {
    it(`every request exists in the document and its body validates: ${name}`, () => {
      checkAgainstOpenApi(render(text, secrets).doc);
    });
  }

  it('every example that targets a VLAN renders requests that validate', () => {
    let rendered = 0;
    for (const file of exampleFiles()) {
      const r = renderText(readFileSync(join(root, file), 'utf8'), ['unifi']);
      const doc = Object.entries(r.files).find(([k]) => k.endsWith('integration-api.json'));
      if (!doc) {
        expect(r.diagnostics.map((d) => d.code)).toContain('target-unsupported');
        continue;
      }
      checkAgainstOpenApi(JSON.parse(doc[1]));
      rendered++;
    }
    expect(rendered).toBeGreaterThan(0);
  });
});

describe('unifi: what the requests do', () => {
  const { doc, steps, plan } = render(spec());

  it('one DOMAIN policy per endpoint group, each with only its own ports and protocol', () => {
    const domainPolicies = policies(doc).filter((p) => p.body.destination.trafficFilter?.type === 'DOMAIN');
    const expected = [
      ...zaptec.endpoints.map((e: any) => ({ hosts: e.hosts, ports: e.ports, protocol: e.protocol })),
      { hosts: [zaptec.ntp.host], ports: [123], protocol: 'udp' },
      { hosts: housing.extraEndpoints[0].hosts, ports: housing.extraEndpoints[0].ports, protocol: 'tcp' },
    ];
    expect(domainPolicies).toHaveLength(expected.length);
    for (const e of expected) {
      const p = domainPolicies.find((d) => JSON.stringify(d.body.destination.trafficFilter.domainFilter.domains) === JSON.stringify(e.hosts));
      expect(p, `policy for ${e.hosts}`).toBeDefined();
      expect(p.body.action.type).toBe('ALLOW');
      expect(p.body.destination.zoneId).toBe('$lookup:zone:External');
      expect(p.body.destination.trafficFilter.portFilter.items.map((i: any) => i.value)).toEqual(e.ports);
      expect(p.body.destination.trafficFilter.portFilter.matchOpposite).toBe(false);
      expect(p.body.ipProtocolScope.protocolFilter).toEqual({ type: 'NAMED_PROTOCOL', protocol: { name: e.protocol.toUpperCase() }, matchOpposite: false });
      expect(p.body.source.zoneId).toBe('$ref:zone');
    }
    // 443 never opens to the IoT hub, 8883 never to the HTTPS hosts
    const iotHub = zaptec.endpoints.find((e: any) => e.id === 'mqtt').hosts[0];
    for (const p of domainPolicies) {
      const ports = p.body.destination.trafficFilter.portFilter.items.map((i: any) => i.value);
      if (p.body.destination.trafficFilter.domainFilter.domains.includes(iotHub)) expect(ports).toEqual([8883]);
      else expect(ports).not.toContain(8883);
    }
  });

  it('fail-closed order: empty zone, blocks, network in the zone, allows, ordering, Wi-Fi last', () => {
    const ids = doc.requests.map((r) => r.id);
    expect(ids.slice(0, 4)).toEqual(['zone', 'block-external', 'block-gateway', 'network']);
    expect(ids.at(-1)).toBe('wifi');
    expect(ids.slice(-3, -1)).toEqual(['order-external', 'order-gateway']);
    for (const p of policies(doc).filter((p) => p.body.action.type === 'ALLOW')) expect(ids.indexOf(p.id)).toBeGreaterThan(ids.indexOf('network'));
    expect(byId(doc, 'zone').body.networkIds).toEqual([]);
    expect(byId(doc, 'network').body.zoneId).toBe('$ref:zone');
  });

  it('the ordering requests list the allows then the block, merged into the pair by the applier', () => {
    for (const [order, zone, block] of [['order-external', '$lookup:zone:External', 'block-external'], ['order-gateway', '$lookup:zone:Gateway', 'block-gateway']]) {
      const req = byId(doc, order);
      expect(req.method).toBe('PUT');
      expect(req.keepForeign).toBe(true);
      expect(req.query).toEqual({ sourceFirewallZoneId: '$ref:zone', destinationFirewallZoneId: zone });
      const before: string[] = req.body.orderedFirewallPolicyIds.beforeSystemDefined;
      const pair = policies(doc).filter((p) => p.body.destination.zoneId === zone);
      expect([...before].sort()).toEqual(pair.map((p) => `$ref:${p.id}`).sort()); // every policy of the pair, nothing else
      expect(before.at(-1)).toBe(`$ref:${block}`);
      expect(req.body.orderedFirewallPolicyIds.afterSystemDefined).toEqual([]);
      for (const id of before.slice(0, -1)) expect(byId(doc, id.slice(5)).body.action.type).toBe('ALLOW');
      const b = byId(doc, block).body;
      expect(b.action).toEqual({ type: 'BLOCK' });
      expect(b.destination).toEqual({ zoneId: zone });
      expect(b.source).toEqual({ zoneId: '$ref:zone' }); // the whole zone: it holds before the network joins
      expect(b.ipProtocolScope).toEqual({ ipVersion: 'IPV4_AND_IPV6' });
      expect(b.connectionStateFilter).toEqual(['NEW', 'INVALID']); // established sessions survive empty domain sets
      expect(b.loggingEnabled).toBe(true); // policy.log: true
    }
  });

  it('DNS (TCP and UDP 53) and DHCP (UDP 67) to the gateway', () => {
    const dns = byId(doc, 'gateway-dns').body;
    expect(dns.destination).toEqual({ zoneId: '$lookup:zone:Gateway', trafficFilter: { type: 'PORT', portFilter: { type: 'PORTS', matchOpposite: false, items: [{ type: 'PORT_NUMBER', value: 53 }] } } });
    expect(dns.ipProtocolScope.protocolFilter).toEqual({ type: 'PRESET', preset: { name: 'TCP_UDP' } });
    const dhcp = byId(doc, 'gateway-dhcp').body;
    expect(dhcp.destination.trafficFilter.portFilter.items).toEqual([{ type: 'PORT_NUMBER', value: 67 }]);
    expect(dhcp.ipProtocolScope.protocolFilter.protocol.name).toBe('UDP');
  });

  it('network: VLAN, gateway address/prefix, the plan pool, DNS = gateway, lease time', () => {
    const n = byId(doc, 'network').body;
    expect(n.management).toBe('GATEWAY');
    expect(n.vlanId).toBe(housing.network.vlan);
    expect(n.ipv4Configuration).toMatchObject({ hostIpAddress: housing.network.gateway, prefixLength: 24, autoScaleEnabled: false });
    const d = n.ipv4Configuration.dhcpConfiguration;
    expect(d.mode).toBe('SERVER');
    expect(`${d.ipAddressRange.start}-${d.ipAddressRange.stop}`).toBe(housing.network.dhcp.pool);
    expect(d.dnsServerIpAddressesOverride).toEqual([housing.network.gateway]);
    expect(d.leaseTimeSeconds).toBe(24 * 3600);
    expect(d.ntpServerIpAddresses).toBeUndefined();
    expect(byId(doc, 'zone').body).toEqual({ name: 'cw-brf-solgarden', networkIds: [] });
    expect(n.zoneId).toBe('$ref:zone');
    expect(n.cellularBackupEnabled).toBe(true); // chargers stay online (and authorise) during a WAN outage
    expect(byId(render(spec((s) => (s.targets.unifi.cellularBackup = false))).doc, 'network').body.cellularBackupEnabled).toBe(false);
  });

  it('Wi-Fi: 2.4 GHz only, WPA2, on the charger network; the passphrase only with --with-secrets', () => {
    const w = byId(doc, 'wifi').body;
    expect(w.broadcastingFrequenciesGHz).toEqual([2.4]);
    expect(w.securityConfiguration.type).toBe('WPA2_PERSONAL');
    expect(w.securityConfiguration.pmfMode).toBeUndefined();
    expect(w.bandSteeringEnabled).toBe(false);
    expect(w.network).toEqual({ type: 'SPECIFIC', networkId: '$ref:network' });
    expect(w.name).toBe(housing.wifi.ssid);
    expect(w.channel2gLockedTo6).toBe(housing.wifi.channel === 6);
    expect(w.securityConfiguration.passphrase).toBe('$env:CHARGER_WIFI_PSK');
    const all = JSON.stringify(doc) + steps;
    expect(all).not.toContain('golden-test-passphrase');
    const secret = render(spec(), true, { CHARGER_WIFI_PSK: '$ecret pass' }).doc;
    expect(byId(secret, 'wifi').body.securityConfiguration.passphrase).toBe('$$ecret pass'); // a literal $ is doubled
    expect(apiLiteral(byId(secret, 'wifi').body.securityConfiguration.passphrase)).toBe('$ecret pass');
    const ch1 = render(spec((s) => (s.wifi.channel = 1))).doc;
    expect(byId(ch1, 'wifi').body.channel2gLockedTo6).toBe(false);
  });

  it('STEPS.md: radio channel and width, DNS must stay on the gateway, plan warnings, fixed IPs', () => {
    expect(steps).toContain(`Channel: **${housing.wifi.channel}**`);
    expect(steps).toContain('Channel Width: **20 MHz**');
    expect(steps).toMatch(/Never Auto/);
    expect(steps).toContain(`Keep the network's DHCP DNS server at \`${housing.network.gateway}\``);
    const fb = render(spec((s) => (s.policy.dns = 'allow-fallback')));
    expect(doc.warnings).toEqual(plan.warnings.map((w) => w.message));
    expect(fb.doc.warnings).toEqual(fb.plan.warnings.map((w) => w.message));
    for (const w of fb.plan.warnings) expect(fb.steps).toContain(w.message.replace(/[()]/g, '').slice(0, 30));
    expect(steps).toMatch(/A domain also matches its subdomains/);
    for (const u of housing.chargers.units.slice(0, 3)) expect(steps).toContain(`| \`${u.mac}\` | \`${u.ip}\` |`);
    const ch1 = render(spec((s) => (s.wifi.channel = 11))).steps;
    expect(ch1).toContain('Channel: **11**');
  });

  it('plan choices reach the requests: NTP any, DNS fallback by address, no block without defaultDeny', () => {
    const any = render(spec((s) => (s.policy.ntp = 'any'))).doc;
    const ntp = byId(any, 'allow-ntp').body;
    expect(ntp.destination.trafficFilter.type).toBe('PORT');
    expect(ntp.ipProtocolScope.protocolFilter.protocol.name).toBe('UDP');
    const fb = render(spec((s) => (s.policy.dns = 'allow-fallback'))).doc;
    const dns = byId(fb, 'allow-dns-fallback').body;
    expect(dns.destination.trafficFilter.ipAddressFilter.items.map((i: any) => i.value)).toEqual(zaptec.dns.fallbackResolvers);
    expect(dns.destination.trafficFilter.portFilter.items).toEqual([{ type: 'PORT_NUMBER', value: 53 }]);
    const open = render(spec((s) => (s.policy.defaultDeny = false))).doc;
    expect(policies(open).some((p) => p.body.action.type === 'BLOCK')).toBe(false);
    expect(byId(open, 'network').body.isolationEnabled).toBe(false);
    const lit = render(spec((s) => (s.extraEndpoints[0].hosts = ['csms.example.com', '192.0.2.10']))).doc;
    expect(byId(lit, 'allow-ocpp').body.destination.trafficFilter.domainFilter.domains).toEqual(['csms.example.com']);
    expect(byId(lit, 'allow-ocpp-ip').body.destination.trafficFilter.ipAddressFilter.items).toEqual([{ type: 'IP_ADDRESS', value: '192.0.2.10' }]);
  });
});

describe('unifi: fail closed', () => {
  it('refuses Network below 10 unless port-only rules are accepted', () => {
    const errors = renderError(spec((s) => (s.targets.unifi = { apiVersion: '9.5.21' })));
    expect(errors.map((e) => e.code)).toEqual(['target-unsupported']);
    expect(errors[0].message).toMatch(/host names/);
    expect(errors[0].message).toMatch(/fqdnFallback: port-only/);
    expect(errors[0].path).toBe('targets.unifi.apiVersion'); // located at the setting that causes it (issue 18)
  });

  it('port-only (Network 9): no API file (9.x has no firewall policy endpoints), UI steps that say what is wider', () => {
    const { doc, steps, diagnostics } = render(spec((s) => (s.targets.unifi = { apiVersion: '9.5.21', fqdnFallback: 'port-only' })));
    expect(doc).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.path])).toContainEqual(['unifi-no-api-file', 'targets.unifi.apiVersion']);
    expect(steps).toMatch(/there is no `integration-api.json`/);
    expect(steps).toMatch(/Not for Network 9\.5\.21: use section 2/);
    expect(steps).not.toContain('chargewall-unifi-apply');
    const wider = steps.split('\n').filter((l) => /open to every address/.test(l));
    expect(wider).toHaveLength(3); // https, mqtt, ocpp (NTP is already 'any' without resolver-filled sets)
    expect(wider.join('\n')).toContain('zapcloud.azure-devices.net');
    expect(steps).not.toMatch(/\| Domain/);
  });

  it('Network 10.0/10.1 in the spec: the file is rendered, with a warning that the applier refuses those versions', () => {
    const { diagnostics } = render(spec((s) => (s.targets.unifi.apiVersion = '10.1')));
    expect(diagnostics.map((d) => d.code)).toContain('unifi-api-version');
    expect(render(spec((s) => (s.targets.unifi.apiVersion = '10.4.57'))).diagnostics.map((d) => d.code)).not.toContain('unifi-api-version');
  });

  it('the SSID goes to the tagged APs; channel 6 is locked only with that filter; without tags a warning', () => {
    const w = byId(render(spec()).doc, 'wifi').body;
    expect(w.broadcastingDeviceFilter).toEqual({ type: 'DEVICE_TAGS', deviceTagIds: ['$lookup:device-tag:Laddare garage'] });
    expect(w.channel2gLockedTo6).toBe(housing.wifi.channel === 6);
    const untagged = render(spec((s) => delete s.targets.unifi.apDeviceTags));
    const u = byId(untagged.doc, 'wifi').body;
    expect(u.broadcastingDeviceFilter).toBeUndefined();
    expect(u.channel2gLockedTo6).toBe(false); // it would lock every AP of the site
    expect(untagged.diagnostics.map((d) => [d.code, d.path])).toContainEqual(['unifi-ssid-on-every-ap', 'targets.unifi']);
    expect(untagged.steps).toMatch(/The SSID goes to every AP of the site/);
    expect(byId(render(spec((s) => (s.wifi.channel = 1))).doc, 'wifi').body.channel2gLockedTo6).toBe(false);
    const tagged = render(spec()).steps;
    expect(tagged).toMatch(/The API can lock one thing: channel 6/);
    expect(tagged).toMatch(/Device tags: Laddare garage/);
  });

  it('dns: redirect is a reported UI step (Policy Engine > NAT > DNAT), not silently dropped', () => {
    const { diagnostics, steps, plan: p, doc: d } = render(spec((s) => (s.policy.dns = 'redirect')));
    expect(p.dns.strategy).toBe('router-only'); // what an API apply enforces (and the site report says)
    expect(d.warnings.join('\n')).toMatch(/cannot redirect DNS/);
    expect(diagnostics.map((d) => [d.code, d.path])).toContainEqual(['unifi-dns-redirect-ui-step', 'policy.dns']);
    expect(steps).toMatch(/### 2\.5 DNS redirect \(UI only\)/);
    expect(steps).toMatch(/Policy Engine > NAT > Create .*\n\(DNAT\), twice, once for TCP and once for UDP/);
    const ro = render(spec((s) => (s.policy.dns = 'router-only')));
    expect(ro.diagnostics.map((d) => d.code)).not.toContain('unifi-dns-redirect-ui-step');
    expect(ro.steps).not.toMatch(/DNS redirect \(UI only\)/);
  });

  it('one host in two domain policies is refused where it is written (the gateway fills one domain set per host name)', () => {
    // Validation refuses a host in two endpoint groups (duplicate-host) before the target runs, so the
    // UniFi target never sees two DOMAIN policies for one name.
    const https = zaptec.endpoints.find((e: any) => e.ports.includes(443));
    const same = renderError(spec((s) => (s.extraEndpoints = [{ name: 'api-alt', hosts: https.hosts, ports: [8443], protocol: 'tcp' }])));
    expect(same.map((d) => d.code)).toEqual(https.hosts.map(() => 'duplicate-host'));
    expect(same.every((d) => d.path.startsWith('extraEndpoints.0.hosts'))).toBe(true);
    const yaml = readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8');
    expect(yaml).toContain('hosts: [csms.example.com]');
    const r = renderText(yaml.replace('hosts: [csms.example.com]', 'hosts: [api.zaptec.com]'), ['unifi']);
    const err = r.diagnostics.find((d) => d.code === 'duplicate-host')!;
    expect(err.severity).toBe('error');
    expect(yaml.split('\n')[err.line - 1]).toContain('hosts: [csms.example.com]');
    expect(Object.keys(r.files)).toHaveLength(0);
  });

  it('refuses a charger segment without its own VLAN', () => {
    const errors = renderError(spec((s) => delete s.network.vlan));
    expect(errors.map((e) => e.code)).toEqual(['target-unsupported']);
    expect(errors[0].message).toMatch(/network\.vlan/);
    expect(renderError(spec((s) => (s.network.vlan = 1)))[0].message).toMatch(/VLAN 2-4009/);
    expect(renderError(spec((s) => (s.network.vlan = 4010)))[0].code).toBe('target-unsupported');
  });

  it('refuses policy.ntp: redirect (the API has no NTP server setting)', () => {
    expect(renderError(spec((s) => (s.policy.ntp = 'redirect')))[0].code).toBe('target-unsupported');
  });
});

describe('unifi: free text', () => {
  const hostile = fc.oneof(
    fc.constantFrom('"},{"id":"x', '$ref:network', '$env:HOME', '$$', '\\', '`code`', '| cell |', '<script>', '*bold*', '[a](b)', '\u2028x', 'a\nb', '</td>', '\u0000'),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const baseline = render(spec());
  const shape = (doc: IntegrationApiFile) => doc.requests.map((r) => `${r.id} ${r.method} ${r.path} ${keysOf(r)}`);
  function keysOf(v: unknown): string {
    if (Array.isArray(v)) return `[${v.length > 0 ? keysOf(v[0]) : ''}]`;
    if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}:${keysOf(x)}`).join(',')}}`;
    return typeof v;
  }

  it('site name, SSID and endpoint description survive the JSON round trip and add no keys, requests or lines', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (name, ssid, description) => {
        const text = spec((s) => {
          s.site.name = name;
          s.wifi.ssid = ssid;
          s.extraEndpoints[0].description = description;
        });
        const r = renderText(text, ['unifi']);
        const rejected = r.diagnostics.filter((d) => d.severity === 'error');
        fc.pre(rejected.length === 0); // the validator refuses e.g. control characters in the SSID
        const file = r.files['brf-solgarden/unifi/integration-api.json'];
        const doc = JSON.parse(file) as IntegrationApiFile;
        expect(shape(doc)).toEqual(shape(baseline.doc));
        expect(Object.keys(doc)).toEqual(Object.keys(baseline.doc));
        expect(apiLiteral(doc.site.name)).toBe(name);
        expect(apiLiteral(byId(doc, 'wifi').body.name)).toBe(ssid);
        expect(apiLiteral(byId(doc, 'allow-ocpp').body.description)).toContain(description);
        // no free text can become a placeholder
        for (const v of [doc.site.name, byId(doc, 'wifi').body.name, byId(doc, 'allow-ocpp').body.description]) {
          expect(/^\$(ref|lookup|env):/.test(v)).toBe(false);
        }
        const steps = r.files['brf-solgarden/unifi/STEPS.md'];
        expect(steps.split('\n').length).toBe(baseline.steps.split('\n').length);
        const count = (t: string, c: string) => t.replace(/\\./g, '').split(c).length - 1; // unescaped only
        for (const c of ['<', '>', '`', '|']) expect(count(steps, c), c).toBe(count(baseline.steps, c)); // no raw HTML, code spans or table cells
      }),
      { numRuns: 300 },
    );
  });
});
