import { RESERVED_GROUP_IDS, type Profile } from './types.js';
import { UNHOLDABLE, describeChar } from '../spec/rules.js';
import { addressProblem } from '../util/ipv4.js';

type Path = (string | number)[];

/**
 * Semantic rules for a profile, after its schema passed: what a JSON Schema cannot say. A custom profile
 * is untrusted input like a spec, and its values reach every output, so each problem is an error
 * located in the profile file itself.
 */
export interface ProfileRuleContext {
  profile: Profile;
  error(code: string, path: Path, message: string): void;
}


/** Group ids: unique, not reserved, and not `<other>-ip` (UniFi names a group's address policy `allow-<id>-ip`). */
const groupIds = ({ profile, error }: ProfileRuleContext) => {
  const seen = new Map<string, number>();
  profile.endpoints.forEach((e, i) => {
    const at: Path = ['endpoints', i, 'id'];
    if (RESERVED_GROUP_IDS.includes(e.id)) {
      error('reserved-endpoint-id', at, `endpoint id '${e.id}' is chargewall's own (${RESERVED_GROUP_IDS.join(', ')} name its NTP group and router rules, and would share a set with them): pick another id, e.g. '${e.id}-svc'`);
    }
    const prev = seen.get(e.id);
    if (prev !== undefined) error('duplicate-endpoint', at, `endpoint id '${e.id}' is also the id of endpoints[${prev}]: each group needs its own id (two groups with one id would merge their hosts and ports into one set)`);
    else seen.set(e.id, i);
  });
  profile.endpoints.forEach((e, i) => {
    const base = e.id.endsWith('-ip') ? e.id.slice(0, -3) : undefined;
    if (base !== undefined && seen.has(base)) {
      error('duplicate-endpoint', ['endpoints', i, 'id'], `endpoint id '${e.id}' clashes with the address policy of group '${base}' (UniFi names it '${base}-ip'): pick an id that does not end in '-ip'`);
    }
  });
};

/**
 * One host, one group. dnsmasq adds each answer to the set of the longest matching name only, so a host
 * listed in two groups fills one of the two sets and the other group silently never works. The NTP host
 * is a group of its own (policy.ntp: fqdn), so it counts too.
 */
const hostsOnce = ({ profile, error }: ProfileRuleContext) => {
  const owner = new Map<string, string>();
  owner.set(profile.ntp.host, 'ntp.host');
  profile.endpoints.forEach((e, i) => {
    e.hosts.forEach((h, j) => {
      const prev = owner.get(h);
      const here = `endpoints[${i}] ('${e.id}')`;
      if (prev === here) error('duplicate-host', ['endpoints', i, 'hosts', j], `host '${h}' is listed twice in this group: list it once`);
      else if (prev !== undefined) {
        error('duplicate-host', ['endpoints', i, 'hosts', j], `host '${h}' is also listed in ${prev}: dnsmasq fills only one set per host, so one of the two groups would never work. List it once, in one group, and give that group every port it needs`);
      } else owner.set(h, here);
    });
  });
};

/** Fallback resolvers are where chargers send DNS: real unicast addresses only. */
const resolvers = ({ profile, error }: ProfileRuleContext) => {
  profile.dns.fallbackResolvers.forEach((a, i) => {
    const problem = addressProblem(a);
    if (problem) error('invalid-address', ['dns', 'fallbackResolvers', i], `fallback resolver ${a} is ${problem}: give the unicast address of a DNS resolver, e.g. 8.8.8.8`);
  });
};

const channelRange = ({ profile, error }: ProfileRuleContext) => {
  const { min, max } = profile.wifi.channels;
  if (min > max) error('channel-range-reversed', ['wifi', 'channels', 'min'], `channel range ${min}-${max} is reversed: min must not be above max`);
};

/** Free text reaches comments, descriptions and reports on one line: no control or line-separator characters. */
const freeText = ({ profile, error }: ProfileRuleContext) => {
  const check = (text: string | undefined, path: Path) => {
    if (text !== undefined && UNHOLDABLE.test(text)) {
      error('text-control-character', path, `${path.join('.')} contains a ${describeChar(text)}: outputs hold this text on one line without control characters; use printable text`);
    }
  };
  check(profile.name, ['name']);
  check(profile.vendor, ['vendor']);
  check(profile.source, ['source']);
  profile.endpoints.forEach((e, i) => {
    check(e.purpose, ['endpoints', i, 'purpose']);
    check(e.requirement, ['endpoints', i, 'requirement']);
  });
  check(profile.ntp.requirement, ['ntp', 'requirement']);
  check(profile.dns.requirement, ['dns', 'requirement']);
  check(profile.dhcp?.requirement, ['dhcp', 'requirement']);
  check(profile.wifi.channels.reason, ['wifi', 'channels', 'reason']);
  check(profile.wifi.requirement, ['wifi', 'requirement']);
  check(profile.traffic.requirement, ['traffic', 'requirement']);
  check(profile.tools?.app, ['tools', 'app']);
  check(profile.tools?.appSignalView, ['tools', 'appSignalView']);
  check(profile.tools?.portal, ['tools', 'portal']);
};

export const profileRules = [groupIds, hostsOnce, resolvers, channelRange, freeText];

/** Every rule over a schema-valid profile; also run over the built-in profiles by the tests. */
export function checkProfile(profile: Profile, error: ProfileRuleContext['error']): void {
  for (const rule of profileRules) {
    try {
      rule({ profile, error });
    } catch (e) {
      error('internal-error', [], `profile rule ${rule.name || '(unnamed)'} failed on a value of this profile (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}). This is a bug: please report it with the profile`);
    }
  }
}
