import type { EndpointGroup, Plan } from '../../plan/types.js';
import type { Site } from '../../spec/types.js';
import { objectName } from '../../plan/names.js';
import { isIPv4 } from '../../util/ipv4.js';
import { passphraseFor, passphraseSource } from '../../render/secrets.js';
import { refusalError, type RenderOptions, type Target } from '../types.js';
import { unifiCheck, unifiSettings, type UnifiSettings } from './contract.js';
import { apiText, mdText } from './escape.js';
import { unifiSteps, type UnifiStepsView } from './steps.js';

/** The official OpenAPI document the requests are written for (../shared/data/unifi/). */
export const INTEGRATION_API_VERSION = '10.4.57';
/** Where UniFi OS consoles serve the Integration API (the document's server url is `/integration`). */
export const INTEGRATION_BASE_PATH = '/proxy/network/integration';
/**
 * Controller versions the file is for; the apply script reads `GET /v1/info` and refuses others
 * before the first write. The firewall policy endpoints arrived in 10.1 (10.0.140 release notes);
 * 10.1's help pages spell the zone field `firewallZoneId`, so 10.1 is refused too. The OpenAPI
 * documents 10.2.97, 10.3.58 and 10.4.57 all have every field the file uses (checked by hand).
 */
export const CONTROLLER_VERSIONS = { min: '10.2', maxMajor: 10 } as const;

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
  /**
   * Ordering requests only: the body lists chargewall's policies of the zone pair, in order. The
   * controller wants every user-defined policy of the pair in a PUT, so the applier GETs the pair's
   * ordering first and keeps every other id where it is (see docs/routers/unifi.md).
   */
  keepForeign?: true;
  body: unknown;
}

export interface IntegrationApiFile {
  api: 'UniFi Network Integration API';
  version: string;
  generator: string;
  site: { id: string; name: string };
  basePath: string;
  /** The controller versions (`GET /v1/info`) the applier accepts. */
  controller: { min: string; maxMajor: number };
  /** The charger SSID, for the applier's "what state is the site in" message (absent: no Wi-Fi). */
  ssid?: string;
  /** What is wider than asked, or what the admin must keep in place (plan and target warnings). */
  warnings: string[];
  requests: ApiRequest[];
}

const SITE = '$lookup:site';
const EXTERNAL = '$lookup:zone:External';
const GATEWAY = '$lookup:zone:Gateway';
const ref = (id: string) => `$ref:${id}`;
const NAME_MAX = 64;
type Proto = 'tcp' | 'udp';

/** Network major version from `targets.unifi.apiVersion` ("10", "9.5.21"). */
export function majorVersion(apiVersion: string): number {
  return Number(apiVersion.split('.')[0]);
}

export const unifiTarget: Target<UnifiSettings> = {
  id: 'unifi',
  settings: unifiSettings,
  check: unifiCheck,
  description: 'UniFi Network 10.x: ordered Integration API requests (zone, blocks, network, domain firewall policies, 2.4 GHz Wi-Fi last) and UI steps',
  files: ['integration-api.json', 'STEPS.md'],
  // Domain policies are filled from what the gateway's resolver answered (DNS snooping). The API
  // has no DNS redirect, so the plan (and the site report) says router-only, which is what an API
  // apply enforces; the DNAT the UI has (Policy Engine > NAT) is a reported STEPS.md step on top.
  // The gateway has no NTP server option. Below 10 nothing matches names: the plan refuses host-name
  // rules, or opens their ports to any address where the spec says fqdnFallback: port-only.
  capabilities: (site: Site) => {
    const names = majorVersion(site.targets.unifi.apiVersion) >= 10;
    return {
      resolverFilledSets: names,
      redirect: false,
      ntpServer: false,
      ...(!names && {
        noHostNames: {
          why: 'UniFi before Network 10 cannot match host names',
          setting: ['targets', 'unifi', 'fqdnFallback'],
          portOnly: site.targets.unifi.fqdnFallback === 'port-only',
          fix: 'domain policies need Network 10 or newer: set targets.unifi.apiVersion to "10"',
          cause: ['targets', 'unifi', 'apiVersion'],
        },
      }),
    };
  },
  render(plan, site, options): Record<string, string> {
    const settings = site.targets.unifi;
    const report = options.report ?? (() => {});
    // Before Network 10 there are no Integration API firewall endpoints (UI steps only); which rules
    // are port-only, and the warnings that say so, the plan decided (capabilities().noHostNames).
    const portOnly = majorVersion(settings.apiVersion) < 10;
    checkNetwork(plan);

    const id = plan.site.id;
    const name = (suffix: string) => objectName('cw', id, suffix, NAME_MAX);
    const warnings = plan.warnings.map((w) => w.message);
    const requests: ApiRequest[] = [];
    const post = (rid: string, path: string, body: unknown) =>
      requests.push({ id: rid, method: 'POST', path: `/v1/sites/{siteId}${path}`, params: { siteId: SITE }, body });
    const block = plan.defaultAction === 'drop';
    const tags = settings.apDeviceTags;

    // Apply order (DESIGN §6, fail closed at every request): a new custom zone may reach External and
    // Gateway by default (UniFi "Zone-Based Firewalls" help article), so the zone is created empty,
    // its blocks come next, only then the network joins it (`zoneId`), then the allows, the
    // ordering, and the Wi-Fi broadcast last. A run that stops anywhere leaves no SSID on a network
    // that can reach more than the allow-list.

    // 1. A zone of its own, empty: the policies match the zone pairs charger → External / Gateway.
    post('zone', '/firewall/zones', { name: name(''), networkIds: [] });

    // 2. The blocks, before any network is in the zone. They match the zone (whatever network is in
    //    it), and only NEW/INVALID connections: after a gateway reboot or resolver restart the domain
    //    sets are empty for a moment (Ozark-Connect/NetworkOptimizer#1062/#1065), and established MQTT
    //    sessions must not hit the block then; they were allowed when they were new.
    const policyRows: PolicyRow[] = [];
    if (block) {
      for (const [pid, zone, to, what] of [
        ['block-external', EXTERNAL, 'External', 'everything else from the chargers to the internet'],
        ['block-gateway', GATEWAY, 'Gateway', 'everything else from the chargers to the gateway itself'],
      ] as const) {
        post(pid, '/firewall/policies', policy(name(pid), what, 'BLOCK', zone, undefined, [], plan.log, false));
        policyRows.push({ id: pid, name: name(pid), action: 'BLOCK', to, what: 'everything else (new connections)', protocols: [], ports: [] });
      }
    }

    // 3. The charger network, in the zone from the start (10.6.106 refuses a network without
    //    `zoneId`: filipowm/go-unifi#195): gateway-managed VLAN, DHCP server, DNS = the gateway.
    const dhcp = {
      mode: 'SERVER',
      ipAddressRange: { start: plan.dhcp.first, stop: plan.dhcp.last },
      ...(plan.dhcp.router !== plan.network.gateway && { gatewayIpAddressOverride: plan.dhcp.router }),
      dnsServerIpAddressesOverride: [...plan.dhcp.dnsServers],
      ...(plan.dhcp.ntpServers.length > 0 && { ntpServerIpAddresses: [...plan.dhcp.ntpServers] }),
      leaseTimeSeconds: plan.dhcp.leaseSeconds,
      pingConflictDetectionEnabled: true,
    };
    const networkName = name('chargers');
    post('network', '/networks', {
      management: 'GATEWAY',
      name: networkName,
      enabled: true,
      vlanId: plan.network.vlan,
      zoneId: ref('zone'),
      isolationEnabled: block,
      // Chargers need the cloud for authorisation and report a few MB a day: during a WAN outage
      // they stay online over the gateway's cellular backup unless the spec says otherwise.
      cellularBackupEnabled: settings.cellularBackup !== false,
      internetAccessEnabled: true,
      mdnsForwardingEnabled: false,
      ipv4Configuration: {
        autoScaleEnabled: false,
        hostIpAddress: plan.network.gateway,
        prefixLength: plan.network.prefix,
        dhcpConfiguration: dhcp,
      },
    });

    // 4. Allows charger zone → External, in plan order (one DOMAIN policy per host set).
    const externalIds: string[] = [];
    for (const p of externalPolicies(plan, site, warnings, report)) {
      const pid = `allow-${p.suffix}`;
      externalIds.push(pid);
      const policyName = name(pid);
      post(pid, '/firewall/policies', policy(policyName, p.description, 'ALLOW', EXTERNAL, p.filter, p.protocols, false, true));
      policyRows.push({ id: pid, name: policyName, action: 'ALLOW', to: 'External', what: p.what, protocols: p.protocols, ports: p.ports });
    }
    if (block) externalIds.push('block-external');

    // 5. Allows charger zone → Gateway (DHCP, DNS).
    const gatewayIds: string[] = [];
    for (const rule of plan.routerRules) {
      const pid = `gateway-${rule.id}`;
      gatewayIds.push(pid);
      const policyName = name(pid);
      post(pid, '/firewall/policies', policy(policyName, `${rule.label}: ${rule.why}`, 'ALLOW', GATEWAY, portsFilter(rule.ports), rule.protocols, false, true));
      policyRows.push({ id: pid, name: policyName, action: 'ALLOW', to: 'Gateway', what: mdText(rule.label), protocols: rule.protocols, ports: rule.ports });
    }
    if (block) gatewayIds.push('block-gateway');

    // 6. Ordering per zone pair: chargewall's allows, then its block. The controller wants every
    //    user-defined policy of the pair listed (ubiquiti-community/go-unifi#80), so the applier
    //    merges this list into the pair's current ordering (keepForeign).
    for (const [pid, zone, ids] of [['order-external', EXTERNAL, externalIds], ['order-gateway', GATEWAY, gatewayIds]] as const) {
      requests.push({
        id: pid,
        method: 'PUT',
        path: '/v1/sites/{siteId}/firewall/policies/ordering',
        params: { siteId: SITE },
        query: { sourceFirewallZoneId: ref('zone'), destinationFirewallZoneId: zone },
        keepForeign: true,
        body: { orderedFirewallPolicyIds: { beforeSystemDefined: ids.map(ref), afterSystemDefined: [] } },
      });
    }

    // 7. The Wi-Fi broadcast, last: 2.4 GHz only, WPA2-PSK, on the charger network, on the tagged APs.
    if (plan.wifi) {
      const secret = passphraseFor(plan.wifi, options);
      const env = plan.wifi.passphrase.kind === 'env' ? plan.wifi.passphrase.name : 'CHARGER_WIFI_PSK';
      if (!tags) {
        report({
          severity: 'warning',
          code: 'unifi-ssid-on-every-ap',
          message: `the charger SSID is broadcast by every access point of the site${plan.wifi.channel === 6 ? ', and channel 6 is not locked through the API (that lock applies to every broadcasting AP)' : ''}; name the chargers' APs with targets.unifi.apDeviceTags (a device tag made in UniFi Devices)`,
          path: ['targets', 'unifi'],
        });
      }
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
        ...(tags && { broadcastingDeviceFilter: { type: 'DEVICE_TAGS', deviceTagIds: tags.map((t) => `$lookup:device-tag:${t}`) } }),
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
        // "Locks 2.4GHz radio channel to 6 on all broadcasting devices" (OpenAPI): only with a device
        // filter, so it never moves the office APs. Every other channel is a UI step (STEPS.md).
        channel2gLockedTo6: tags !== undefined && plan.wifi.channel === 6,
        dtimPeriod2gLockedTo3: false,
      });
    }

    if (dnsRedirectAsked(site, portOnly)) {
      report({
        severity: 'warning',
        code: 'unifi-dns-redirect-ui-step',
        message: 'the DNS redirect (DNAT of TCP/UDP 53 to the gateway) is not in the Integration API, so the requests enforce router-only: add the DNAT in the UI as STEPS.md section 2.5 says; until then a charger that falls back to another resolver is blocked',
        path: ['policy', 'dns'],
      });
    }
    const minor = Number(settings.apiVersion.split('.')[1] ?? NaN);
    if (!portOnly && majorVersion(settings.apiVersion) === 10 && minor < 2) {
      report({
        severity: 'warning',
        code: 'unifi-api-version',
        message: `integration-api.json needs UniFi Network ${CONTROLLER_VERSIONS.min} or newer (10.0 has no firewall policy endpoints, 10.1 spells the zone field differently); the apply script refuses ${settings.apiVersion}: update UniFi Network or use the UI steps`,
        path: ['targets', 'unifi', 'apiVersion'],
      });
    }

    const file: IntegrationApiFile = {
      api: 'UniFi Network Integration API',
      version: INTEGRATION_API_VERSION,
      generator: `${plan.generator.name} ${plan.generator.version}`,
      site: { id, name: apiText(plan.site.name) },
      basePath: INTEGRATION_BASE_PATH,
      controller: { ...CONTROLLER_VERSIONS },
      ...(plan.wifi && { ssid: apiText(plan.wifi.ssid) }),
      warnings: warnings.map(apiText),
      requests,
    };

    const steps = unifiSteps(stepsView(plan, site, networkName, name(''), policyRows, portOnly, warnings));
    // Before Network 10 the Integration API has no firewall zone or policy endpoints (they arrived
    // in 10.1): a file of requests a 9.x console cannot apply would only fail half-way. UI only.
    if (portOnly) {
      report({
        severity: 'warning',
        code: 'unifi-no-api-file',
        message: `no integration-api.json for UniFi Network ${settings.apiVersion}: its Integration API has no firewall zone or policy endpoints (they arrived in 10.1); apply STEPS.md section 2 in the UI`,
        path: ['targets', 'unifi', 'apiVersion'],
      });
      return { 'STEPS.md': steps };
    }
    return { 'integration-api.json': `${JSON.stringify(file, null, 2)}\n`, 'STEPS.md': steps };
  },
};

/** Fail closed in render too (a library caller may skip the pipeline's check): the first refusal of unifiCheck. */
function checkNetwork(plan: Plan): void {
  const refused = unifiCheck(plan)[0];
  if (refused) throw refusalError('unifi', refused);
}

type Filter = Record<string, unknown>;

interface PolicyRow {
  id: string;
  /** The policy's name, as posted. */
  name: string;
  action: 'ALLOW' | 'BLOCK';
  to: 'External' | 'Gateway';
  what: string;
  protocols: Proto[];
  ports: number[];
}

interface ExternalPolicy {
  suffix: string;
  description: string;
  filter: Filter;
  protocols: Proto[];
  ports: number[];
  what: string;
  /** DOMAIN policies: the host names, and the plan rule(s) they came from. */
  names?: string[];
  rules: string[];
}

/**
 * The plan's rules to charger → External: a DOMAIN policy per host-name set, an IP policy for
 * literal addresses. The gateway's dnsmasq fills one set per name (dnsmasq `forward.c` picks one
 * `ipset=` entry per answer), so a host name may sit in one DOMAIN policy only: rules with the same
 * name set become one policy (their ports together), and a name in two different sets is refused.
 */
function externalPolicies(plan: Plan, site: Site, warnings: string[], report: NonNullable<RenderOptions['report']>): ExternalPolicy[] {
  const out: ExternalPolicy[] = [];
  const owner = new Map<string, ExternalPolicy>();
  for (const rule of plan.rules) {
    const ports = portsFilter(rule.ports);
    const base = `${rule.label}: ${rule.why}`;
    const to = rule.to;
    if (to.kind === 'any') {
      // Widened by the plan (port-only): the policy matches ports only, and says what was asked.
      const asked = to.widenedFrom !== undefined ? plan.endpoints.find((e) => e.id === to.widenedFrom) : undefined;
      out.push(
        asked
          ? { suffix: rule.id, description: `${base} (port-only: wider than asked, any address)`, filter: ports, protocols: rule.protocols, ports: rule.ports, what: `any address (asked: ${code(asked.hosts)})`, rules: [rule.id] }
          : { suffix: rule.id, description: base, filter: ports, protocols: rule.protocols, ports: rule.ports, what: 'any address', rules: [rule.id] },
      );
      continue;
    }
    if (to.kind === 'addresses') {
      out.push({ suffix: rule.id, description: base, filter: ipFilter(to.addresses, rule.ports), protocols: rule.protocols, ports: rule.ports, what: code(to.addresses), rules: [rule.id] });
      continue;
    }
    const group = plan.endpoints.find((e) => e.id === to.group)!;
    const names = group.hosts.filter((h) => !isIPv4(h));
    const addresses = group.hosts.filter(isIPv4);
    if (names.length) {
      const key = [...names].sort().join(' ');
      const same = out.find((p) => p.names && [...p.names].sort().join(' ') === key);
      const clash = names.map((n) => owner.get(n)).find((p) => p && p !== same);
      if (clash) {
        const at = endpointPath(site, group);
        report({
          severity: 'error',
          code: 'unifi-domain-in-two-policies',
          message: `${names.filter((n) => clash.names!.includes(n)).join(', ')} is also in ${clash.rules.join(', ')} with other host names: the UniFi gateway fills one domain set per host name, so one of the two policies would never open; list the same hosts in both (they are then merged into one policy) or keep each host in one endpoint group`,
          path: at,
        });
        continue;
      }
      if (same) {
        // Same host set: one policy, the ports of both. Different protocols widen (TCP_UDP on all ports).
        const widened = same.protocols.join() !== rule.protocols.join();
        same.ports = [...new Set([...same.ports, ...rule.ports])];
        same.protocols = widened ? ['tcp', 'udp'] : same.protocols;
        same.filter = { ...same.filter, portFilter: portList(same.ports) };
        same.description = `${same.description}; ${base}`;
        same.rules.push(rule.id);
        if (widened) {
          warnings.push(`${same.rules.join(' and ')} share their host names and are one UniFi policy: TCP and UDP on ports ${same.ports.join(', ')} to ${names.join(', ')} (wider than asked)`);
        }
        report({
          severity: 'warning',
          code: 'unifi-domain-policies-merged',
          message: `${same.rules.join(' and ')} name the same hosts (${names.join(', ')}) and become one domain policy${widened ? ' allowing TCP and UDP on all their ports (wider than asked)' : ''}: the gateway fills one domain set per host name`,
          path: endpointPath(site, group),
        });
        continue;
      }
      const p: ExternalPolicy = {
        suffix: rule.id,
        description: `${base} (${names.join(', ')})`,
        filter: { type: 'DOMAIN', domainFilter: { type: 'DOMAINS', domains: names.map(apiText) }, portFilter: portList(rule.ports) },
        protocols: rule.protocols,
        ports: [...rule.ports],
        what: code(names),
        names,
        rules: [rule.id],
      };
      out.push(p);
      for (const n of names) owner.set(n, p);
    }
    if (addresses.length) {
      out.push({ suffix: `${rule.id}-ip`, description: `${base} (${addresses.join(', ')})`, filter: ipFilter(addresses, rule.ports), protocols: rule.protocols, ports: rule.ports, what: code(addresses), rules: [rule.id] });
    }
  }
  return out;
}

/** Where an endpoint group comes from in the spec: its extraEndpoints entry, else the profile. */
function endpointPath(site: Site, group: EndpointGroup): string[] {
  const i = group.origin === 'extra' ? site.extraEndpoints.findIndex((e) => e.name === group.id) : -1;
  return i >= 0 ? ['extraEndpoints', String(i), 'hosts'] : ['profile'];
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

/**
 * Protocol scope: both → the TCP_UDP preset; one → the named protocol by its discriminator mapping
 * key, `TCP`/`UDP`. The document's enum spells them lower case, but a 10.6.106 controller answers
 * `tcp`/`udp` with 400 `api.request.unknown-type-id` and accepts `TCP`/`UDP` with IPV4
 * (filipowm/go-unifi#195). No protocol (the blocks): IPv4 and IPv6.
 */
function protocolScope(protocols: Proto[], action: 'ALLOW' | 'BLOCK') {
  if (protocols.length === 0) return { ipVersion: action === 'BLOCK' ? 'IPV4_AND_IPV6' : 'IPV4' };
  const protocolFilter =
    protocols.length === 2
      ? { type: 'PRESET', preset: { name: 'TCP_UDP' } }
      : { type: 'NAMED_PROTOCOL', protocol: { name: protocols[0].toUpperCase() }, matchOpposite: false };
  return { ipVersion: 'IPV4', protocolFilter };
}

/**
 * A policy from the charger zone. Allows also name the charger network as source; the blocks match
 * the whole zone, so they exist (and hold) before the network joins it.
 */
function policy(
  policyName: string,
  description: string,
  action: 'ALLOW' | 'BLOCK',
  zone: string,
  filter: Filter | undefined,
  protocols: Proto[],
  log: boolean,
  fromNetwork: boolean,
) {
  return {
    enabled: true,
    name: policyName,
    description: apiText(description),
    action: action === 'ALLOW' ? { type: 'ALLOW', allowReturnTraffic: true } : { type: 'BLOCK' },
    source: {
      zoneId: ref('zone'),
      ...(fromNetwork && { trafficFilter: { type: 'NETWORK', networkFilter: { networkIds: [ref('network')], matchOpposite: false } } }),
    },
    destination: { zoneId: zone, ...(filter && { trafficFilter: filter }) },
    ipProtocolScope: protocolScope(protocols, action),
    ...(action === 'BLOCK' && { connectionStateFilter: ['NEW', 'INVALID'] }),
    loggingEnabled: log,
  };
}

function stepsView(plan: Plan, site: Site, networkName: string, zoneName: string, rows: PolicyRow[], portOnly: boolean, warnings: string[]): UnifiStepsView {
  const settings = site.targets.unifi;
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
      name: networkName,
      // checkNetwork refused a site without a VLAN before anything was built.
      vlan: plan.network.vlan!,
      gatewayCidr: `${plan.network.gateway}/${plan.network.prefix}`,
      gateway: plan.network.gateway,
      first: plan.dhcp.first,
      last: plan.dhcp.last,
      size: plan.dhcp.size,
      needed: plan.dhcp.needed,
      leaseSeconds: plan.dhcp.leaseSeconds,
      leaseTime: plan.dhcp.leaseTime,
      isolated: plan.defaultAction === 'drop',
      cellularBackup: settings.cellularBackup !== false,
    },
    zoneName,
    blocks: rows.filter((r) => r.action === 'BLOCK').map((r) => ({ name: r.name, to: r.to })),
    policies: rows
      .filter((r) => r.action === 'ALLOW')
      .map((r, i) => ({
        n: i + 1,
        name: r.name,
        action: r.action,
        to: r.to,
        what: r.what,
        protocol: proto(r),
        ports: r.ports.length ? r.ports.join(', ') : 'any',
      })),
    externalOrder: pairOrder(rows, 'External'),
    gatewayOrder: pairOrder(rows, 'Gateway'),
    dnsRedirect: dnsRedirectAsked(site, portOnly),
    tags: settings.apDeviceTags?.map(mdText) ?? [],
    block: plan.defaultAction === 'drop',
    log: plan.log,
    dns: plan.dns,
    ntp: plan.ntp,
    wifi: wifi && {
      ssid: mdText(wifi.ssid),
      channel: wifi.channel,
      frequencyMHz: wifi.frequencyMHz,
      country: mdText(wifi.country),
      lockedTo6: wifi.channel === 6 && settings.apDeviceTags !== undefined,
      minSignalDbm: wifi.minSignalDbm,
      enforceMinSignal: wifi.enforceMinSignal,
      pskSource: mdText(passphraseSource(wifi)),
      pskEnv: wifi.passphrase.kind === 'env' ? wifi.passphrase.name : 'CHARGER_WIFI_PSK',
    },
    leases: plan.dhcp.staticLeases.map((l) => ({ name: mdText(l.name), mac: l.mac, ip: l.ip })),
    tools: { app: mdText(plan.profile.tools.app), portal: mdText(plan.profile.tools.portal) },
  };
}


/** The names of one zone pair's policies in evaluation order: the allows, then the block. */
function pairOrder(rows: PolicyRow[], to: PolicyRow['to']): string[] {
  const pair = rows.filter((r) => r.to === to);
  return [...pair.filter((r) => r.action === 'ALLOW'), ...pair.filter((r) => r.action === 'BLOCK')].map((r) => r.name);
}

/** The spec asks for a DNS redirect, which UniFi Network 10 has as a UI DNAT only (Policy Engine > NAT). */
function dnsRedirectAsked(site: Site, portOnly: boolean): boolean {
  return site.policy.dns === 'redirect' && !portOnly;
}
