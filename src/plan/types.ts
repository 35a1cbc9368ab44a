import type { Passphrase } from '../spec/types.js';
import type { Diagnostic } from '../spec/diagnostics.js';

/**
 * The vendor-neutral plan: every policy decision (which hosts, which ports, DNS/NTP strategy,
 * pool bounds, rule order). Targets translate it; they decide nothing.
 */
export interface Plan {
  generator: { name: 'chargewall'; version: string };
  /** Short hash of the normalised spec: the same spec always gives the same header. */
  specHash: string;
  site: { id: string; name: string };
  profile: {
    id: string;
    name: string;
    vendor: string;
    source: string;
    traffic: { perChargerPerDayMB: number; perChargeCycleMB?: number };
    /**
     * The vendor's tools as reports and steps name them: the profile's `tools`, else "<vendor> app" and
     * "<vendor> portal". Free text: every output escapes it as it does the profile's other text.
     */
    tools: { app: string; appSignalView?: string; portal: string };
  };
  chargerCount: number;
  network: {
    subnet: string;
    networkAddress: string;
    prefix: number;
    netmask: string;
    broadcast: string;
    gateway: string;
    vlan?: number;
  };
  /** One address set per endpoint group: a port opens only to its own group's hosts. */
  endpoints: EndpointGroup[];
  dns: { strategy: 'redirect' | 'allow-fallback' | 'router-only'; fallbackResolvers: string[]; why: string };
  ntp: { strategy: 'redirect' | 'fqdn' | 'any'; requested: 'auto' | 'redirect' | 'fqdn' | 'any'; host: string; why: string };
  /** Outbound rules from the charger segment, in order. */
  rules: ForwardRule[];
  /** Traffic from the chargers to the router itself (DHCP, DNS, NTP). */
  routerRules: RouterRule[];
  /** Destination NAT to the router (DNS, NTP). */
  redirects: Redirect[];
  /** What happens to everything else from the chargers. */
  defaultAction: 'drop' | 'accept';
  log: boolean;
  dhcp: Dhcp;
  wifi?: WifiPlan;
  /** Plan-level warnings (spec warnings stay in the validation result). */
  warnings: PlanWarning[];
}

export interface EndpointGroup {
  /** Validated id (profile group id, 'ntp', or an extra endpoint name): the only source of set/list/alias names. */
  id: string;
  label: string;
  protocol: 'tcp' | 'udp';
  ports: number[];
  /** Host names (lower-case) or IPv4 literals. */
  hosts: string[];
  purpose: string;
  requirement: string;
  origin: 'profile' | 'ntp' | 'extra';
}

export type Destination =
  | { kind: 'group'; group: string }
  | { kind: 'addresses'; addresses: string[] }
  | {
      kind: 'any';
      /**
       * Set when the plan widened a host-name rule because the target cannot match host names and the
       * spec accepts that (`fqdnFallback: port-only`): the group that was asked for. The plan's
       * warnings say the same; every consumer shows "any address (asked: …)".
       */
      widenedFrom?: string;
    };

/**
 * What every plan rule says about itself, so no consumer parses the English `label` or compares ids:
 * - `kind`: where the traffic goes (forwarded, to the router itself, redirected to the router);
 * - `service`: what it is for (`endpoint` is a cloud endpoint group; `dhcp`/`dns`/`ntp` the chargers' basics);
 * - `name`: the short name for descriptions ("DNS", "NTP", the group's name), without destination or ports;
 * - `requirement`: the profile's quoted line the rule comes from, when there is one.
 */
export type RuleKind = 'forward' | 'router' | 'redirect';
export type RuleService = 'endpoint' | 'dhcp' | 'dns' | 'ntp';

interface RuleFacts {
  id: string;
  /** A readable label for comments and reports. Free text: nothing may parse it. */
  label: string;
  service: RuleService;
  name: string;
  requirement?: string;
  why: string;
}

export interface ForwardRule extends RuleFacts {
  kind: 'forward';
  protocols: ('tcp' | 'udp')[];
  ports: number[];
  to: Destination;
}

export interface RouterRule extends RuleFacts {
  kind: 'router';
  protocols: ('tcp' | 'udp')[];
  ports: number[];
}

export interface Redirect extends RuleFacts {
  kind: 'redirect';
  protocols: ('tcp' | 'udp')[];
  port: number;
}

export interface Dhcp {
  first: string;
  last: string;
  size: number;
  /** Chargers + headroom. */
  needed: number;
  leaseTime: string;
  leaseSeconds: number;
  router: string;
  dnsServers: string[];
  /** Empty unless the router answers NTP (option 42 must be an address). */
  ntpServers: string[];
  /** `hostname`: a unique DNS label derived from the unit name (the name itself stays free text). */
  staticLeases: { name: string; mac: string; ip: string; hostname: string }[];
}

export interface WifiPlan {
  ssid: string;
  passphrase: Passphrase;
  channel: number;
  frequencyMHz: number;
  country: string;
  widthMHz: 20;
  standards: string[];
  security: 'wpa2-psk';
  cipher: 'ccmp';
  minSignalDbm: number;
  enforceMinSignal: boolean;
}

export interface PlanWarning {
  code: string;
  message: string;
  /**
   * Set on a warning that opens more than the spec asked (e.g. host-names-widened): the spec setting
   * that accepted it. The pipeline reports such a warning located there on stderr, like a target's
   * report, so --strict fails on it and `acknowledge:` can accept it; the others stay in the reports.
   */
  path?: string[];
}

/** What a target can express; the plan resolves `auto` choices against it. */
export interface TargetCapabilities {
  /** The router's resolver fills allow-sets from its own answers to the chargers (dnsmasq ipset=, RouterOS DNS FWD, UniFi domains). */
  resolverFilledSets: boolean;
  /** The target can NAT-redirect DNS/NTP to the router. */
  redirect: boolean;
  /** The router can answer NTP itself. */
  ntpServer: boolean;
  /**
   * Set only by a target whose firewall cannot match host-name destinations (UniFi before Network 10).
   * The plan then refuses every rule to a group with host names, or, where the spec accepts port-only
   * rules, opens its ports to any address (`Destination.widenedFrom`) with a `host-names-widened`
   * warning. Absent: host names are matched.
   */
  noHostNames?: {
    /** Why, as a clause: "UniFi before Network 10 cannot match host names". */
    why: string;
    /** The spec setting that accepts port-only rules, e.g. ['targets', 'unifi', 'fqdnFallback']. */
    setting: string[];
    /** The spec accepts port-only rules (that setting is `port-only`). */
    portOnly: boolean;
    /** What else the user can do instead, as a clause: 'set targets.unifi.apiVersion to "10"'. */
    fix: string;
    /** The spec setting that makes the target unable, where a refusal points: ['targets', 'unifi', 'apiVersion']. */
    cause: string[];
  };
}

export type { Diagnostic };
