/**
 * A model of what RouterOS does with the lines chargewall writes, for the tests (DESIGN §6: no router
 * runs here, so the tests evaluate the script over a documented router state instead of checking its
 * syntax only). It parses with the generator's own tokenizer and evaluates the subset the generator
 * emits: `add`/`set`/`unset`/`remove`/`get`/`find where` (`=`, `!=`, `~`, `and`), `:if`/`:len`/`:pick`/
 * `:put`/`:error`, expressions with `= != > + . ~`, `place-before`. Anything else throws ModelError,
 * so a new kind of line cannot slip through unmodelled.
 *
 * Behaviours encoded, each from the manual page that documents it:
 * - [IMPORT] `/import` runs the lines in order and stops at the first error (a failed command or
 *   `:error`); nothing already done is rolled back. Configuration Management manual (help.mikrotik.com
 *   ROS pages/328155, "Configuration Export/Import": "If an error is encountered, the import stops").
 *   The model stops at the first RouterError; `budget` stops it after any statement (an error there).
 * - [FIND] `find where` returns the items matching every condition; `~` is a POSIX extended regular
 *   expression; `remove`/`set` on an empty list do nothing. Scripting manual (pages/47579229, operators).
 * - [PLACE] `add ... place-before=<id>` inserts before that item; without it the item is appended.
 *   Console / Command Line Interface manual (pages/8978498, pages/328134).
 * - [ADDR] an address-list entry that exists already fails the add ("already have such entry").
 *   Address-lists manual (manual.mikrotik.com firewall/address-lists).
 * - [NAME] a named item whose name exists fails the add; an interface, list or bridge an add refers to
 *   must exist (every menu's add: "input does not match any value of ...").
 * - [BRIDGE] an interface is a port of at most one bridge: adding it again fails ("device already
 *   added as bridge port"). Bridging and Switching manual (pages/328068).
 * - [WIFI] the effective Wi-Fi value is, in priority: the value set on the interface, a profile
 *   assigned directly to the interface, the configuration profile's own value, the profile the
 *   configuration references. WiFi manual (pages/224559120, "Configuration profiles"); a virtual AP
 *   (master-interface) uses its master's channel. The `wifi` menu exists from 7.13, `wifiwave2` up to 7.12.
 * - [WLAN] legacy `wireless`: values on the interface, the passphrase in its security profile.
 *   Wireless Interface manual (pages/8978446).
 * - [DNS] static DNS `address-list=` exists from 7.5; a FWD entry without `forward-to` is documented from
 *   7.17 (the model refuses it before). DNS manual (pages/37748767). FWD entries leave the list when the
 *   TTL runs out unless address-list-extra-time keeps them (same page): see ttlExpiry().
 */
import { parseScript, type Command, type Value } from '../src/targets/mikrotik/script.js';

export type Props = Record<string, string>;
export interface Row {
  id: string;
  props: Props;
  dynamic?: boolean;
}

/** RouterOS refused a line: /import stops here. */
export class RouterError extends Error {}
/** The import was cut after a number of statements (the prefix property). */
export class Stopped extends Error {}
/** The script used something the model does not know: a test failure, never a RouterOS behaviour. */
export class ModelError extends Error {}

type Val = string | number | boolean | string[] | undefined;

/** Item ids are unique across every run (a state carries the ids of the run that made it). */
let nextId = 0x1000;

/** Interface menus: their rows are also the rows of `/interface`. */
const IFACE_MENUS = ['/interface ethernet', '/interface bridge', '/interface vlan', '/interface wifi', '/interface wifiwave2', '/interface wireless'];
/** Menus whose items have a unique name [NAME]. */
const NAMED = new Set([
  ...IFACE_MENUS,
  '/interface list',
  '/ip pool',
  '/ip dhcp-server',
  '/interface wifi channel',
  '/interface wifi security',
  '/interface wifi configuration',
  '/interface wifiwave2 channel',
  '/interface wifiwave2 security',
  '/interface wifiwave2 configuration',
  '/interface wireless security-profiles',
]);
/** Menus with one set of settings (`set` without an item). */
const SETTINGS = new Set(['/ip dns', '/system ntp client', '/system ntp server', '/system resource']);
const BUILTIN_LISTS = new Set(['all', 'none', 'dynamic', 'static']);

export interface RouterState {
  version: string;
  menus: Record<string, Row[]>;
  settings: Record<string, Props>;
}

export function clone(s: RouterState): RouterState {
  return structuredClone(s);
}

/** Version as [major, minor] from `7.13.4 (stable)`. */
export function versionOf(text: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (!m) throw new ModelError(`version ${text}`);
  return [Number(m[1]), Number(m[2])];
}
const atLeast = (s: RouterState, major: number, minor: number) => {
  const [a, b] = versionOf(s.version);
  return a === major && b >= minor;
};

export interface RunResult {
  state: RouterState;
  /** `ok`: ran to the end; `error`: RouterOS stopped it (message); `stopped`: cut by the budget. */
  outcome: 'ok' | 'error' | 'stopped';
  message?: string;
  output: string[];
  /** Statements executed. */
  steps: number;
}

/** Runs a script over a copy of `start`; `budget` cuts it after that many statements. */
export function run(script: string | Command[], start: RouterState, budget = Infinity): RunResult {
  const cmds = typeof script === 'string' ? parseScript(script) : script;
  const m = new Machine(clone(start), budget);
  try {
    for (const c of cmds) m.statement(c);
    return { state: m.s, outcome: 'ok', output: m.output, steps: m.steps };
  } catch (e) {
    if (e instanceof Stopped) return { state: m.s, outcome: 'stopped', output: m.output, steps: m.steps };
    if (e instanceof RouterError) return { state: m.s, outcome: 'error', message: e.message, output: m.output, steps: m.steps };
    throw e;
  }
}

class Machine {
  output: string[] = [];
  steps = 0;
  constructor(
    readonly s: RouterState,
    readonly budget: number,
  ) {}

  statement(c: Command): void {
    if (this.steps >= this.budget) throw new Stopped();
    this.steps++;
    this.command(c);
  }

  private rows(path: string): Row[] {
    if (path === '/interface') return IFACE_MENUS.flatMap((p) => this.s.menus[p] ?? []);
    return this.s.menus[path] ?? [];
  }
  private allIds(): Map<string, { path: string; row: Row }> {
    const out = new Map<string, { path: string; row: Row }>();
    for (const [path, rows] of Object.entries(this.s.menus)) for (const row of rows) out.set(row.id, { path, row });
    return out;
  }
  private interfaceExists(name: string): boolean {
    return this.rows('/interface').some((r) => r.props.name === name);
  }

  command(c: Command): Val {
    const first = c.items[0];
    if (first?.kind !== 'positional' || first.value.kind !== 'word') throw new ModelError(`line ${c.line}: command without a name`);
    const w = first.value.text;
    if (w.startsWith(':')) return this.scriptCommand(w, c);
    // Path words until the verb.
    const parts = [w];
    let i = 1;
    const verbs = new Set(['add', 'set', 'unset', 'remove', 'find', 'get', 'print', 'enable', 'disable']);
    while (i < c.items.length) {
      const it = c.items[i];
      if (it.kind !== 'positional' || it.value.kind !== 'word') break;
      if (verbs.has(it.value.text)) break;
      parts.push(it.value.text);
      i++;
    }
    const verbItem = c.items[i];
    if (verbItem?.kind !== 'positional' || verbItem.value.kind !== 'word') throw new ModelError(`line ${c.line}: no verb after ${parts.join(' ')}`);
    const path = parts.join(' ');
    const verb = verbItem.value.text;
    const rest = c.items.slice(i + 1);
    this.versionGate(path, c);
    switch (verb) {
      case 'find':
        return this.find(path, rest, c);
      case 'get':
        return this.get(path, rest, c);
      case 'add':
        return this.add(path, rest, c);
      case 'set':
        return this.set(path, rest, c);
      case 'unset':
        return this.unset(path, rest, c);
      case 'remove':
        return this.remove(path, rest, c);
      case 'enable':
      case 'disable':
        for (const id of this.targets(rest, c)) this.byId(path, id, c).props.disabled = verb === 'enable' ? 'no' : 'yes';
        return undefined;
      default:
        throw new ModelError(`line ${c.line}: ${path} ${verb}`);
    }
  }

  /** [WIFI]/[DNS]: menus and properties that a version does not have fail like an unknown command. */
  private versionGate(path: string, c: Command): void {
    const [major] = versionOf(this.s.version);
    if (path.startsWith('/interface wifi') && !path.startsWith('/interface wifiwave2') && !atLeast(this.s, 7, 13)) throw new RouterError(`line ${c.line}: bad command name wifi (RouterOS ${this.s.version})`);
    if (path.startsWith('/interface wifiwave2') && (major !== 7 || atLeast(this.s, 7, 13))) throw new RouterError(`line ${c.line}: bad command name wifiwave2 (RouterOS ${this.s.version})`);
    if (path.startsWith('/system ntp client servers') && major !== 7) throw new RouterError(`line ${c.line}: bad command name servers`);
  }

  private scriptCommand(w: string, c: Command): Val {
    const args = c.items.slice(1);
    switch (w) {
      case ':if': {
        const cond = args[0];
        if (cond?.kind !== 'positional') throw new ModelError(`line ${c.line}: :if without condition`);
        const doBlock = named(args, 'do');
        const elseBlock = named(args, 'else');
        const truth = this.value(cond.value, c);
        if (typeof truth !== 'boolean') throw new ModelError(`line ${c.line}: :if condition is ${JSON.stringify(truth)}`);
        const block = truth ? doBlock : elseBlock;
        if (block) {
          if (block.kind !== 'block') throw new ModelError(`line ${c.line}: do/else not a block`);
          for (const s of block.body) this.statement(s);
        }
        return undefined;
      }
      case ':error':
        throw new RouterError(String(this.value(positional(args, 0, c), c)));
      case ':put':
        this.output.push(String(this.value(positional(args, 0, c), c)));
        return undefined;
      case ':len': {
        const v = this.value(positional(args, 0, c), c);
        if (v === undefined) return 0;
        if (Array.isArray(v) || typeof v === 'string') return v.length;
        throw new ModelError(`line ${c.line}: :len of ${typeof v}`);
      }
      case ':pick': {
        const v = this.value(positional(args, 0, c), c);
        const at = Number(this.value(positional(args, 1, c), c));
        if (Array.isArray(v)) return v[at];
        // A string: the characters from `at` up to the end index (one character without it). Scripting manual, :pick.
        if (typeof v === 'string') {
          const ps = args.filter((x) => x.kind === 'positional');
          const end = ps[2] ? Number(this.value(ps[2].value, c)) : at + 1;
          return v.slice(at, end);
        }
        throw new ModelError(`line ${c.line}: :pick of ${typeof v}`);
      }
      default:
        throw new ModelError(`line ${c.line}: script command ${w}`);
    }
  }

  value(v: Value, c: Command): Val {
    switch (v.kind) {
      case 'word':
        return /^-?\d+$/.test(v.text) ? Number(v.text) : v.text;
      case 'string':
        return v.value;
      case 'cmd':
        this.statementCount();
        return this.command(v.cmd);
      case 'expr':
        return this.expr(v.items, c);
      case 'block':
        throw new ModelError(`line ${c.line}: a block as a value`);
    }
  }
  private statementCount(): void {
    // Commands inside [ ] are part of their statement: they do not count against the budget.
  }

  private expr(items: Value[], c: Command): Val {
    const toks = items.map((x) => (x.kind === 'word' && ['=', '!', '>', '<', '+', '.', '~'].includes(x.text) ? { op: x.text } : { v: x }));
    // `!` `=` is `!=`.
    const seq: ({ op: string } | { v: Value })[] = [];
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      const n = toks[i + 1];
      if ('op' in t && t.op === '!' && n && 'op' in n && n.op === '=') {
        seq.push({ op: '!=' });
        i++;
      } else seq.push(t);
    }
    if (seq.length === 1 && 'v' in seq[0]) return this.value(seq[0].v, c);
    if (seq.length !== 3 || !('v' in seq[0]) || !('op' in seq[1]) || !('v' in seq[2])) throw new ModelError(`line ${c.line}: expression shape`);
    const a = this.value(seq[0].v, c);
    const b = this.value(seq[2].v, c);
    switch (seq[1].op) {
      case '=':
        return a === b;
      case '!=':
        return a !== b;
      case '>':
        return Number(a) > Number(b);
      case '<':
        return Number(a) < Number(b);
      case '+':
        return Number(a) + Number(b);
      case '.':
        return `${a ?? ''}${b ?? ''}`;
      case '~':
        // POSIX ERE; the generator's expressions use the subset JavaScript reads the same way.
        return new RegExp(String(b)).test(String(a));
    }
    throw new ModelError(`line ${c.line}: operator ${seq[1].op}`);
  }

  /** [FIND] */
  private find(path: string, rest: Command['items'], c: Command): string[] {
    const [w, ...conds] = rest;
    if (!(w?.kind === 'positional' && w.value.kind === 'word' && w.value.text === 'where')) throw new ModelError(`line ${c.line}: find without where`);
    const tests: ((r: Row) => boolean)[] = [];
    for (let i = 0; i < conds.length; i++) {
      const it = conds[i];
      if (it.kind === 'positional' && it.value.kind === 'word' && it.value.text === 'and') continue;
      if (it.kind === 'named') {
        const neg = it.name.endsWith('!');
        const key = neg ? it.name.slice(0, -1) : it.name;
        const want = String(this.value(it.value, c));
        tests.push((r) => (prop(r, key) === want || listHas(key, prop(r, key), want)) !== neg);
        continue;
      }
      if (it.kind === 'positional' && it.value.kind === 'word' && it.value.text.endsWith('~')) {
        const key = it.value.text.slice(0, -1);
        const re = new RegExp(String(this.value(conds[++i]?.value ?? ({ kind: 'word', text: '' } as Value), c)));
        tests.push((r) => re.test(prop(r, key)));
        continue;
      }
      throw new ModelError(`line ${c.line}: find condition ${JSON.stringify(it)}`);
    }
    return this.rows(path)
      .filter((r) => tests.every((t) => t(r)))
      .map((r) => r.id);
  }

  private get(path: string, rest: Command['items'], c: Command): Val {
    if (!SETTINGS.has(path)) throw new ModelError(`line ${c.line}: get on ${path}`);
    const key = this.value(positional(rest, 0, c), c);
    const v = this.s.settings[path]?.[String(key)] ?? '';
    if (key === 'version') return v;
    // Address lists (servers, dynamic-servers) are arrays.
    return v === '' ? [] : v.split(',');
  }

  private props(rest: Command['items'], c: Command): Props {
    const out: Props = {};
    for (const it of rest) if (it.kind === 'named') out[it.name] = valueText(this.value(it.value, c));
    return out;
  }
  private targets(rest: Command['items'], c: Command): string[] {
    const p = rest.find((x) => x.kind === 'positional');
    if (!p) throw new ModelError(`line ${c.line}: no items`);
    const v = this.value(p.value, c);
    if (v === undefined) return [];
    if (Array.isArray(v)) return v;
    throw new ModelError(`line ${c.line}: items ${JSON.stringify(v)}`);
  }
  private byId(path: string, id: string, c: Command): Row {
    const r = this.rows(path).find((x) => x.id === id);
    if (!r) throw new RouterError(`line ${c.line}: no such item ${id}`);
    return r;
  }

  private add(path: string, rest: Command['items'], c: Command): Val {
    const props = this.props(rest, c);
    const placeBefore = props['place-before'];
    delete props['place-before'];
    this.validate(path, props, c, undefined);
    const rows = (this.s.menus[path] ??= []);
    const row: Row = { id: `*${(nextId++).toString(16)}`, props };
    if (placeBefore !== undefined) {
      const at = rows.findIndex((r) => r.id === placeBefore);
      if (at < 0) throw new RouterError(`line ${c.line}: place-before ${placeBefore}: no such item`);
      rows.splice(at, 0, row);
    } else rows.push(row);
    return row.id;
  }

  private set(path: string, rest: Command['items'], c: Command): Val {
    const props = this.props(rest, c);
    if (SETTINGS.has(path)) {
      for (const k of Object.keys(props)) this.settingGate(path, k, c);
      Object.assign((this.s.settings[path] ??= {}), props);
      return undefined;
    }
    for (const id of this.targets(rest, c)) {
      const row = this.byId(path, id, c);
      this.validate(path, { ...row.props, ...props }, c, row);
      Object.assign(row.props, props);
    }
    return undefined;
  }

  private unset(path: string, rest: Command['items'], c: Command): Val {
    const name = this.props(rest, c)['value-name'];
    for (const id of this.targets(rest, c)) delete this.byId(path, id, c).props[name];
    return undefined;
  }

  private remove(path: string, rest: Command['items'], c: Command): Val {
    const ids = new Set(this.targets(rest, c));
    const rows = this.rows(path);
    for (const r of rows) if (ids.has(r.id) && r.dynamic) throw new RouterError(`line ${c.line}: cannot remove dynamic item`);
    this.s.menus[path] = rows.filter((r) => !ids.has(r.id));
    return undefined;
  }

  private settingGate(path: string, key: string, c: Command): void {
    if (path === '/ip dns' && key === 'address-list-extra-time' && !atLeast(this.s, 7, 12)) throw new RouterError(`line ${c.line}: unknown parameter ${key}`);
  }

  /** What an add or set must satisfy ([NAME], [ADDR], [BRIDGE], [DNS]). */
  private validate(path: string, p: Props, c: Command, self: Row | undefined): void {
    const fail = (m: string) => {
      throw new RouterError(`line ${c.line}: ${path}: ${m}`);
    };
    const others = this.rows(path).filter((r) => r !== self);
    if (NAMED.has(path)) {
      if (!p.name) fail('name missing');
      const all = path.startsWith('/interface ') && IFACE_MENUS.includes(path) ? this.rows('/interface') : others;
      if (all.some((r) => r !== self && r.props.name === p.name)) fail(`already have item named ${p.name}`);
    }
    const needIface = (key: string) => {
      if (p[key] !== undefined && !this.interfaceExists(p[key])) fail(`${key}=${p[key]}: input does not match any value of interface`);
    };
    const needList = (key: string) => {
      const v = p[key]?.replace(/^!/, '');
      if (v !== undefined && !BUILTIN_LISTS.has(v) && !this.rows('/interface list').some((r) => r.props.name === v)) fail(`${key}=${v}: no such interface list`);
    };
    switch (path) {
      case '/interface list member':
        needIface('interface');
        needList('list');
        break;
      case '/ip address':
      case '/ip dhcp-server':
      case '/interface vlan':
        needIface('interface');
        if (path === '/ip dhcp-server' && p['address-pool'] && !this.rows('/ip pool').some((r) => r.props.name === p['address-pool'])) fail('no such pool');
        break;
      case '/interface bridge port':
        needIface('interface');
        if (!this.rows('/interface bridge').some((r) => r.props.name === p.bridge)) fail(`bridge=${p.bridge}: no such bridge`);
        if (others.some((r) => r.props.interface === p.interface)) fail(`device ${p.interface} already added as bridge port`);
        break;
      case '/ip firewall filter':
      case '/ipv6 firewall filter':
      case '/ip firewall nat':
        needList('in-interface-list');
        needList('out-interface-list');
        break;
      case '/ip firewall address-list':
        if (others.some((r) => r.props.list === p.list && r.props.address === p.address && !r.dynamic)) fail('already have such entry');
        break;
      case '/ip dns static':
        if (p['address-list'] !== undefined && !atLeast(this.s, 7, 5)) fail('unknown parameter address-list');
        if (p.type === 'FWD' && p['forward-to'] === undefined && !atLeast(this.s, 7, 17)) fail('FWD without forward-to (documented from 7.17)');
        break;
      case '/interface wifi':
      case '/interface wifiwave2':
        if (p['master-interface'] !== undefined && !this.rows(path).some((r) => r.props.name === p['master-interface'])) fail('no such master interface');
        break;
      case '/interface wireless':
        if (p['security-profile'] !== undefined && !this.rows('/interface wireless security-profiles').some((r) => r.props.name === p['security-profile'])) fail('no such security profile');
        break;
      case '/interface wireless access-list':
      case '/interface wifi access-list':
      case '/interface wifiwave2 access-list':
        needIface('interface');
        break;
    }
  }
}

function named(items: Command['items'], name: string): Value | undefined {
  const it = items.find((x) => x.kind === 'named' && x.name === name);
  return it?.kind === 'named' ? it.value : undefined;
}
function positional(items: Command['items'], n: number, c: Command): Value {
  const ps = items.filter((x) => x.kind === 'positional');
  const it = ps[n];
  if (!it) throw new ModelError(`line ${c.line}: missing argument ${n}`);
  return it.value;
}
function valueText(v: Val): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) {
    if (v.length !== 1) throw new ModelError(`a list of ${v.length} items as a value`);
    return v[0];
  }
  return String(v);
}
/** A property as `find where` compares it: defaults for disabled/dynamic, '' when unset. */
function prop(r: Row, key: string): string {
  if (key === 'dynamic') return r.dynamic ? 'yes' : 'no';
  if (key === 'disabled') return r.props.disabled ?? 'no';
  return r.props[key] ?? '';
}
/** List-valued properties (vlan-ids, tagged) match when they contain the value. */
function listHas(key: string, have: string, want: string): boolean {
  return (key === 'vlan-ids' || key === 'tagged') && have.split(',').includes(want);
}

// ---------------------------------------------------------------------------------------------
// Reading a state: effective Wi-Fi values [WIFI]/[WLAN], bridge ports, the forward path.

export interface Effective {
  ssid: string;
  passphrase: string;
  band: string;
  frequency: string;
  width: string;
  enabled: boolean;
  authentication: string;
  ft: string;
}

const row = (s: RouterState, path: string, name: string | undefined) => (name === undefined ? undefined : (s.menus[path] ?? []).find((r) => r.props.name === name));

/** [WIFI]: interface value, profile assigned to the interface, configuration value, profile the configuration names. */
export function effectiveWifi(s: RouterState, menu: '/interface wifi' | '/interface wifiwave2' | '/interface wireless', name: string): Effective | undefined {
  const i = row(s, menu, name);
  if (!i) return undefined;
  if (menu === '/interface wireless') {
    const master = i.props['master-interface'] ? row(s, menu, i.props['master-interface']) : undefined;
    const radio = master ?? i;
    const sec = row(s, '/interface wireless security-profiles', i.props['security-profile'] ?? 'default');
    return {
      ssid: i.props.ssid ?? '',
      passphrase: sec?.props['wpa2-pre-shared-key'] ?? '',
      band: radio.props.band ?? '',
      frequency: radio.props.frequency ?? '',
      width: radio.props['channel-width'] ?? '',
      enabled: (i.props.disabled ?? 'no') === 'no' && (master === undefined || (master.props.disabled ?? 'no') === 'no'),
      authentication: sec?.props['authentication-types'] ?? '',
      ft: '',
    };
  }
  const pick = (r: Row, section: 'configuration' | 'security' | 'channel', key: string): string | undefined => {
    // 1. on the interface
    const own = r.props[`${section}.${key}`];
    if (own !== undefined) return own;
    // 2. a profile assigned directly to the interface (security=, channel=)
    if (section !== 'configuration') {
      const direct = row(s, `${menu} ${section}`, r.props[section]);
      if (direct?.props[key] !== undefined) return direct.props[key];
    }
    const cfg = row(s, `${menu} configuration`, r.props.configuration);
    if (!cfg) return undefined;
    // 3. the configuration profile's own value
    const inCfg = section === 'configuration' ? cfg.props[key] : cfg.props[`${section}.${key}`];
    if (inCfg !== undefined) return inCfg;
    // 4. the profile the configuration references
    if (section !== 'configuration') return row(s, `${menu} ${section}`, cfg.props[section])?.props[key];
    return undefined;
  };
  const master = i.props['master-interface'] ? row(s, menu, i.props['master-interface']) : undefined;
  const radio = master ?? i;
  return {
    ssid: pick(i, 'configuration', 'ssid') ?? '',
    passphrase: pick(i, 'security', 'passphrase') ?? '',
    band: pick(radio, 'channel', 'band') ?? '',
    frequency: pick(radio, 'channel', 'frequency') ?? '',
    width: pick(radio, 'channel', 'width') ?? '',
    enabled: (i.props.disabled ?? 'no') === 'no' && (master === undefined || (master.props.disabled ?? 'no') === 'no'),
    authentication: pick(i, 'security', 'authentication-types') ?? '',
    ft: pick(i, 'security', 'ft') ?? 'no',
  };
}

export function wifiInterfaces(s: RouterState): { menu: '/interface wifi' | '/interface wifiwave2' | '/interface wireless'; name: string }[] {
  return (['/interface wifi', '/interface wifiwave2', '/interface wireless'] as const).flatMap((menu) => (s.menus[menu] ?? []).map((r) => ({ menu, name: r.props.name })));
}

export function bridgeOf(s: RouterState, iface: string): string[] {
  return (s.menus['/interface bridge port'] ?? []).filter((r) => r.props.interface === iface).map((r) => r.props.bridge);
}

/** [DNS]: dynamic entries a FWD entry added, after the TTL plus address-list-extra-time has run out. */
export function ttlExpiry(s: RouterState, ttlSeconds: number, afterSeconds: number): boolean {
  const extra = parseTime(s.settings['/ip dns']?.['address-list-extra-time'] ?? '0s');
  return afterSeconds > ttlSeconds + extra;
}
function parseTime(t: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(t);
  if (!m) throw new ModelError(`time ${t}`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]]!;
}
