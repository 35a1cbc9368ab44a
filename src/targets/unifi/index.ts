import type { ForwardRule, Plan } from '../../plan/types.js';
import type { Site } from '../../spec/types.js';
import { UnsupportedError } from '../../plan/build.js';
import { objectName } from '../../plan/names.js';
import { isIPv4 } from '../../util/ipv4.js';
import { renderTemplate } from '../../render/templates.js';
import { passphraseFor, passphraseSource } from '../../render/secrets.js';
import type { Target } from '../types.js';
import { apiText, mdText } from './escape.js';

/** The official OpenAPI document the requests are written for (../shared/data/unifi/). */
export const INTEGRATION_API_VERSION = '10.4.57';
/** Where UniFi OS consoles serve the Integration API (the document's server url is `/integration`). */
export const INTEGRATION_BASE_PATH = '/proxy/network/integration';

/** One request of integration-api.json. Strings starting with `$` are placeholders (see README). */
export interface ApiRequest {
  id: string;
  method: 'POST' | 'PUT';
  /** OpenAPI path template, e.g. `/v1/sites/{siteId}/networks`. */
  path: string;
  /** Values for the template's `{...}` parts. */
  params: Record<string, string>;
  /** Query parameters (only the ordering requests have them). */
  query?: Record<string, string>;
  body: unknown;
}

export interface IntegrationApiFile {
  api: 'UniFi Network Integration API';
  version: string;
  generator: string;
  site: { id: string; name: string };
  basePath: string;
  /** What is wider than asked, or what the admin must keep in place (plan and target warnings). */
  warnings: string[];
  requests: ApiRequest[];
}

const SITE = '$lookup:site';
const EXTERNAL = '$lookup:zone:External';
const GATEWAY = '$lookup:zone:Gateway';
const ref = (id: string) => `$ref:${id}`;
const NAME_MAX = 64;

/** Network major version from `targets.unifi.apiVersion` ("10", "9.5.21"). */
export function majorVersion(apiVersion: string): number {
  return Number(apiVersion.split('.')[0]);
}

export const unifiTarget: Target = {
  id: 'unifi',
  description: 'UniFi Network 10.x: ordered Integration API requests (network, zone, 2.4 GHz Wi-Fi, domain firewall policies) and UI steps',
  files: ['integration-api.json', 'STEPS.md'],
  // Domain policies are filled from what the gateway's resolver answered (DNS snooping); the API has no
  // DNS redirect and the gateway has no NTP server option in it. Below Network 10 nothing matches names.
  capabilities: (site: Site) => ({
    resolverFilledSets: majorVersion(site.targets.unifi.apiVersion) >= 10,
    redirect: false,
    ntpServer: false,
  }),
  render(plan, site, options) {
    const settings = site.targets.unifi;
    const portOnly = majorVersion(settings.apiVersion) < 10;
    if (portOnly && settings.fqdnFallback !== 'port-only') {
      throw new UnsupportedError(
        'unifi',
        `host-name destinations on UniFi Network ${settings.apiVersion}`,
        'before Network 10 the firewall cannot match host names (domain policies need 10 or newer); set targets.unifi.apiVersion to "10", or accept port-only rules with targets.unifi.fqdnFallback: port-only (443/8883 then open to every address)',
      );
    }
    checkNetwork(plan);

    const id = plan.site.id;
    const name = (suffix: string) => objectName('cw', id, suffix, NAME_MAX);
    const warnings = plan.warnings.map((w) => w.message);
    const requests: ApiRequest[] = [];
    const post = (rid: string, path: string, body: unknown) =>
      requests.push({ id: rid, method: 'POST', path: `/v1/sites/{siteId}${path}`, params: { siteId: SITE }, body });

    // 1. The charger network: gateway-managed VLAN, DHCP server with the plan's pool, DNS = the gateway.
    const dhcp = {
      mode: 'SERVER',
      ipAddressRange: { start: plan.dhcp.first, stop: plan.dhcp.last },
      ...(plan.dhcp.router !== plan.network.gateway && { gatewayIpAddressOverride: plan.dhcp.router }),
      dnsServerIpAddressesOverride: [...plan.dhcp.dnsServers],
      ...(plan.dhcp.ntpServers.length > 0 && { ntpServerIpAddresses: [...plan.dhcp.ntpServers] }),
      leaseTimeSeconds: plan.dhcp.leaseSeconds,
      pingConflictDetectionEnabled: true,
    };
    post('network', '/networks', {
      management: 'GATEWAY',
      name: name('chargers'),
      enabled: true,
      vlanId: plan.network.vlan,
      isolationEnabled: plan.defaultAction === 'drop',
      cellularBackupEnabled: false,
      internetAccessEnabled: true,
      mdnsForwardingEnabled: false,
      ipv4Configuration: {
        autoScaleEnabled: false,
        hostIpAddress: plan.network.gateway,
        prefixLength: plan.network.prefix,
        dhcpConfiguration: dhcp,
      },
    });

    // 2. A zone of its own: the policies below match the zone pair charger → External / Gateway.
    post('zone', '/firewall/zones', { name: name(''), networkIds: [ref('network')] });

    // 3. The Wi-Fi broadcast: 2.4 GHz only, WPA2-PSK, on the charger network.
    if (plan.wifi) {
      const secret = passphraseFor(plan.wifi, options);
      const env = plan.wifi.passphrase.kind === 'env' ? plan.wifi.passphrase.name : 'CHARGER_WIFI_PSK';
      post('wifi', '/wifi/broadcasts', {
        type: 'STANDARD',
        name: apiText(plan.wifi.ssid),
        enabled: true,
        network: { type: 'SPECIFIC', networkId: ref('network') },
        securityConfiguration: {
          type: 'WPA2_PERSONAL',
          passphrase: secret !== undefined ? apiText(secret) : `$env:${env}`,
          fastRoamingEnabled: false,
        },
        broadcastingFrequenciesGHz: [2.4],
        bandSteeringEnabled: false,
        mloEnabled: false,
        arpProxyEnabled: false,
        bssTransitionEnabled: false,
        advertiseDeviceName: false,
        multicastToUnicastConversionEnabled: false,
        clientIsolationEnabled: false,
        hideName: false,
        uapsdEnabled: false,
        // The only channel the API can set; every other channel is a UI step (STEPS.md).
        channel2gLockedTo6: plan.wifi.channel === 6,
        dtimPeriod2gLockedTo3: false,
      });
    }

    // 4. Policies charger zone → External, in plan order, then the block.
    const externalIds: string[] = [];
    const policyRows: PolicyRow[] = [];
    for (const rule of plan.rules) {
      for (const p of externalPolicies(plan, rule, portOnly, warnings)) {
        const pid = `allow-${p.suffix}`;
        externalIds.push(pid);
        const policyName = name(pid);
        post(pid, '/firewall/policies', policy(policyName, p.description, 'ALLOW', EXTERNAL, p.filter, p.protocols, false));
        policyRows.push({ id: pid, name: policyName, action: 'ALLOW', to: 'External', what: p.what, protocols: p.protocols, ports: rule.ports });
      }
    }
    if (plan.defaultAction === 'drop') {
      externalIds.push('block-external');
      const policyName = name('block-external');
      post('block-external', '/firewall/policies', policy(policyName, 'everything else from the chargers to the internet', 'BLOCK', EXTERNAL, undefined, [], plan.log));
      policyRows.push({ id: 'block-external', name: policyName, action: 'BLOCK', to: 'External', what: 'everything else', protocols: [], ports: [] });
    }

    // 5. Policies charger zone → Gateway (DHCP, DNS), then the block.
    const gatewayIds: string[] = [];
    for (const rule of plan.routerRules) {
      const pid = `gateway-${rule.id}`;
      gatewayIds.push(pid);
      const policyName = name(pid);
      post(pid, '/firewall/policies', policy(policyName, `${rule.label}: ${rule.why}`, 'ALLOW', GATEWAY, portsFilter(rule.ports), rule.protocols, false));
      policyRows.push({ id: pid, name: policyName, action: 'ALLOW', to: 'Gateway', what: mdText(rule.label), protocols: rule.protocols, ports: rule.ports });
    }
    if (plan.defaultAction === 'drop') {
      gatewayIds.push('block-gateway');
      const policyName = name('block-gateway');
      post('block-gateway', '/firewall/policies', policy(policyName, 'everything else from the chargers to the gateway itself', 'BLOCK', GATEWAY, undefined, [], plan.log));
      policyRows.push({ id: 'block-gateway', name: policyName, action: 'BLOCK', to: 'Gateway', what: 'everything else', protocols: [], ports: [] });
    }

    // 6. Ordering: our policies before the system-defined ones of each pair, allows before the block.
    for (const [pid, zone, ids] of [['order-external', EXTERNAL, externalIds], ['order-gateway', GATEWAY, gatewayIds]] as const) {
      requests.push({
        id: pid,
        method: 'PUT',
        path: '/v1/sites/{siteId}/firewall/policies/ordering',
        params: { siteId: SITE },
        query: { sourceFirewallZoneId: ref('zone'), destinationFirewallZoneId: zone },
        body: { orderedFirewallPolicyIds: { beforeSystemDefined: ids.map(ref), afterSystemDefined: [] } },
      });
    }

    const file: IntegrationApiFile = {
      api: 'UniFi Network Integration API',
      version: INTEGRATION_API_VERSION,
      generator: `${plan.generator.name} ${plan.generator.version}`,
      site: { id, name: apiText(plan.site.name) },
      basePath: INTEGRATION_BASE_PATH,
      warnings: warnings.map(apiText),
      requests,
    };

    return {
      'integration-api.json': `${JSON.stringify(file, null, 2)}\n`,
      'STEPS.md': renderTemplate('unifi', 'STEPS.md', stepsView(plan, site, file, policyRows, portOnly, warnings)),
    };
  },
};

/** What the UniFi network object cannot hold: fail closed with the reason. */
function checkNetwork(plan: Plan): void {
  const vlan = plan.network.vlan;
  if (vlan === undefined || vlan < 2 || vlan > 4009) {
    throw new UnsupportedError(
      'unifi',
      vlan === undefined ? 'a charger segment without network.vlan' : `network.vlan ${vlan}`,
      'every additional UniFi network is a VLAN 2-4009 (1 is the Default network) and a firewall zone takes whole networks; give the chargers their own VLAN in network.vlan',
    );
  }
  if (plan.network.prefix < 8 || plan.network.prefix > 30) {
    throw new UnsupportedError('unifi', `a /${plan.network.prefix} subnet`, 'UniFi networks take prefix lengths 8 to 30');
  }
  if (plan.dhcp.leaseSeconds > 31536000) {
    throw new UnsupportedError('unifi', `lease time ${plan.dhcp.leaseTime}`, 'the UniFi DHCP server takes at most one year (31536000 s)');
  }
  if (plan.dhcp.dnsServers.length < 1 || plan.dhcp.dnsServers.length > 4 || plan.dhcp.ntpServers.length > 2) {
    throw new UnsupportedError('unifi', 'these DHCP DNS/NTP server lists', 'UniFi hands out 1-4 DNS and at most 2 NTP servers');
  }
}

type Filter = Record<string, unknown>;

interface PolicyRow {
  id: string;
  /** The policy's name, as posted. */
  name: string;
  action: 'ALLOW' | 'BLOCK';
  to: 'External' | 'Gateway';
  what: string;
  protocols: ('tcp' | 'udp')[];
  ports: number[];
}

/** One plan rule to charger → External: a DOMAIN policy for host names, an IP policy for literal addresses. */
function externalPolicies(plan: Plan, rule: ForwardRule, portOnly: boolean, warnings: string[]) {
  const out: { suffix: string; description: string; filter: Filter; protocols: ('tcp' | 'udp')[]; what: string }[] = [];
  const ports = portsFilter(rule.ports);
  const base = `${rule.label}: ${rule.why}`;
  const to = rule.to;
  if (to.kind === 'any') {
    out.push({ suffix: rule.id, description: base, filter: ports, protocols: rule.protocols, what: 'any address' });
  } else if (to.kind === 'addresses') {
    out.push({ suffix: rule.id, description: base, filter: ipFilter(to.addresses, rule.ports), protocols: rule.protocols, what: code(to.addresses) });
  } else {
    const group = plan.endpoints.find((e) => e.id === to.group)!;
    const names = group.hosts.filter((h) => !isIPv4(h));
    const addresses = group.hosts.filter(isIPv4);
    if (portOnly) {
      warnings.push(`${rule.label} is open to every address, not only ${group.hosts.join(', ')} (UniFi before Network 10 cannot match host names; targets.unifi.fqdnFallback: port-only)`);
      out.push({ suffix: rule.id, description: `${base} (port-only: wider than asked, any address)`, filter: ports, protocols: rule.protocols, what: `any address (asked: ${code(group.hosts)})` });
      return out;
    }
    if (names.length) {
      out.push({
        suffix: rule.id,
        description: `${base} (${names.join(', ')})`,
        filter: { type: 'DOMAIN', domainFilter: { type: 'DOMAINS', domains: names }, portFilter: portList(rule.ports) },
        protocols: rule.protocols,
        what: code(names),
      });
    }
    if (addresses.length) {
      out.push({ suffix: `${rule.id}-ip`, description: `${base} (${addresses.join(', ')})`, filter: ipFilter(addresses, rule.ports), protocols: rule.protocols, what: code(addresses) });
    }
  }
  return out;
}

/** Host names and addresses as Markdown code spans (validated: no backticks possible). */
function code(hosts: string[]): string {
  return hosts.map((h) => `\`${h}\``).join(', ');
}

function portList(ports: number[]) {
  return { type: 'PORTS', matchOpposite: false, items: ports.map((value) => ({ type: 'PORT_NUMBER', value })) };
}

function portsFilter(ports: number[]): Filter {
  return { type: 'PORT', portFilter: portList(ports) };
}

function ipFilter(addresses: string[], ports: number[]): Filter {
  return {
    type: 'IP_ADDRESS',
    ipAddressFilter: { type: 'IP_ADDRESSES', matchOpposite: false, items: addresses.map((value) => ({ type: 'IP_ADDRESS', value })) },
    portFilter: portList(ports),
  };
}

/** Protocol scope: both → the TCP_UDP preset; one → the named protocol (the document's enum spells it lower-case). */
function protocolScope(protocols: ('tcp' | 'udp')[], action: 'ALLOW' | 'BLOCK') {
  if (protocols.length === 0) return { ipVersion: action === 'BLOCK' ? 'IPV4_AND_IPV6' : 'IPV4' };
  const protocolFilter =
    protocols.length === 2
      ? { type: 'PRESET', preset: { name: 'TCP_UDP' } }
      : { type: 'NAMED_PROTOCOL', protocol: { name: protocols[0] }, matchOpposite: false };
  return { ipVersion: 'IPV4', protocolFilter };
}

function policy(
  policyName: string,
  description: string,
  action: 'ALLOW' | 'BLOCK',
  zone: string,
  filter: Filter | undefined,
  protocols: ('tcp' | 'udp')[],
  log: boolean,
) {
  return {
    enabled: true,
    name: policyName,
    description: apiText(description),
    action: action === 'ALLOW' ? { type: 'ALLOW', allowReturnTraffic: true } : { type: 'BLOCK' },
    source: { zoneId: ref('zone'), trafficFilter: { type: 'NETWORK', networkFilter: { networkIds: [ref('network')], matchOpposite: false } } },
    destination: { zoneId: zone, ...(filter && { trafficFilter: filter }) },
    ipProtocolScope: protocolScope(protocols, action),
    loggingEnabled: log,
  };
}

function stepsView(plan: Plan, site: Site, file: IntegrationApiFile, rows: PolicyRow[], portOnly: boolean, warnings: string[]) {
  const net = file.requests.find((r) => r.id === 'network')!.body as any;
  const zone = file.requests.find((r) => r.id === 'zone')!.body as any;
  const wifi = plan.wifi;
  const proto = (r: PolicyRow) => (r.protocols.length === 2 ? 'TCP/UDP' : r.protocols.length ? r.protocols[0].toUpperCase() : 'all');
  return {
    header: `Generated by chargewall ${plan.generator.version} from a site spec. Do not edit: change the spec and render again.`,
    siteName: mdText(plan.site.name),
    siteId: plan.site.id,
    apiVersion: mdText(site.targets.unifi.apiVersion),
    portOnly,
    warnings: warnings.map(mdText),
    network: {
      name: net.name,
      vlan: plan.network.vlan,
      gatewayCidr: `${plan.network.gateway}/${plan.network.prefix}`,
      gateway: plan.network.gateway,
      first: plan.dhcp.first,
      last: plan.dhcp.last,
      size: plan.dhcp.size,
      needed: plan.dhcp.needed,
      leaseSeconds: plan.dhcp.leaseSeconds,
      leaseTime: plan.dhcp.leaseTime,
      isolated: net.isolationEnabled,
    },
    zoneName: zone.name,
    policies: rows.map((r, i) => ({
      n: i + 1,
      name: r.name,
      action: r.action,
      to: r.to,
      what: r.what,
      protocol: proto(r),
      ports: r.ports.length ? r.ports.join(', ') : 'any',
    })),
    externalOrder: rows.filter((r) => r.to === 'External').map((r) => r.name),
    gatewayOrder: rows.filter((r) => r.to === 'Gateway').map((r) => r.name),
    block: plan.defaultAction === 'drop',
    log: plan.log,
    dns: plan.dns,
    ntp: plan.ntp,
    wifi: wifi && {
      ssid: mdText(wifi.ssid),
      channel: wifi.channel,
      frequencyMHz: wifi.frequencyMHz,
      country: mdText(wifi.country),
      lockedTo6: wifi.channel === 6,
      minSignalDbm: wifi.minSignalDbm,
      enforceMinSignal: wifi.enforceMinSignal,
      pskSource: mdText(passphraseSource(wifi)),
      pskEnv: wifi.passphrase.kind === 'env' ? wifi.passphrase.name : 'CHARGER_WIFI_PSK',
    },
    leases: plan.dhcp.staticLeases.map((l) => ({ name: mdText(l.name), mac: l.mac, ip: l.ip })),
  };
}

