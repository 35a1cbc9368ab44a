import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { allCommands, parseScript, type Command, type Value } from '../src/targets/mikrotik/script.js';
import { renderText, root, sharedData } from './helpers.js';

/**
 * Checks a RouterOS script against RouterOS's own command tree (`/console/inspect` dumps from tikoci/restraml):
 * every menu path, command and argument name must exist; enum arguments (desc `a|b|c[,X*]`) and
 * `max length N` strings must hold allowed values; property names in `find where` must be properties of the menu.
 */
export type Node = { _type: 'dir' | 'path' | 'cmd' | 'arg'; desc?: string; [k: string]: any };
const isDir = (n: Node | undefined) => n?._type === 'dir' || n?._type === 'path';

const trees = new Map<string, Node>();
export function tree(version: '7.20' | '7.12.2'): Node {
  if (!trees.has(version)) trees.set(version, JSON.parse(readFileSync(join(sharedData, 'routeros', `inspect-${version}.json`), 'utf8')));
  return trees.get(version)!;
}

/** Read-only properties a `find where` may test that no add/set command takes. */
const READ_ONLY = new Set(['dynamic', 'default-name', 'invalid', 'running', 'type']);
/**
 * Read-only properties of one menu (its print shows them; no command takes them). The radio menu of
 * wifi/wifiwave2 lists each radio's `interface` and supported `bands` (WiFi manual, "Radio" section).
 */
const READ_ONLY_BY_MENU: Record<string, string[]> = {
  '/interface wifi radio find': ['interface', 'bands'],
  '/interface wifiwave2 radio find': ['interface', 'bands'],
};

export interface Problem {
  line: number;
  message: string;
}

export function checkScript(script: string, root: Node): { problems: Problem[]; checked: number } {
  const problems: Problem[] = [];
  let checked = 0;
  for (const cmd of allCommands(parseScript(script))) {
    checked++;
    for (const message of checkCommand(cmd, root)) problems.push({ line: cmd.line, message });
  }
  return { problems, checked };
}

function word(v: Value | undefined): string | undefined {
  return v?.kind === 'word' ? v.text : undefined;
}

function checkCommand(cmd: Command, root: Node): string[] {
  const out: string[] = [];
  const head = cmd.items[0];
  const first = head?.kind === 'positional' ? word(head.value) : undefined;
  if (!first) return ['command does not start with a name'];
  let node: Node = root;
  let dir: Node = root;
  let rest = cmd.items.slice(1);
  let pathText: string;
  if (first.startsWith(':')) {
    pathText = first;
    node = root[first.slice(1)];
    if (node?._type !== 'cmd') return [`unknown script command ${first}`];
  } else if (first.startsWith('/')) {
    const parts = first.split('/').filter(Boolean);
    pathText = first;
    for (const p of parts) {
      const n = dir[p];
      if (isDir(n)) dir = n;
      else if (n?._type === 'cmd') {
        node = n;
        break;
      } else return [`unknown menu ${pathText} (at ${p})`];
    }
    if (node === root) {
      for (;;) {
        const it = rest[0];
        const w = it?.kind === 'positional' ? word(it.value) : undefined;
        if (!w) return [`no command after ${pathText}`];
        rest = rest.slice(1);
        pathText += ` ${w}`;
        const n = dir[w];
        if (isDir(n)) dir = n;
        else if (n?._type === 'cmd') {
          node = n;
          break;
        } else return [`unknown menu or command ${pathText}`];
      }
    }
  } else return [`command "${first}" has no path: chargewall writes full paths`];

  const cmdName = pathText.split(/[ /]/).pop()!;
  if (cmdName === 'find') {
    const [w, ...expr] = rest;
    if (!(w?.kind === 'positional' && word(w.value) === 'where')) return [`${pathText} without where`];
    const props = menuProperties(dir);
    for (const p of READ_ONLY_BY_MENU[pathText] ?? []) props.add(p);
    for (const it of expr) {
      let name: string | undefined;
      if (it.kind === 'named') name = it.name.replace(/!$/, '');
      else {
        const t = word(it.value);
        if (t === 'and' || t === 'or' || t === undefined) continue;
        name = t.replace(/^!/, '').replace(/~$/, '');
      }
      if (!props.has(name)) out.push(`${pathText}: ${name} is not a property of this menu`);
    }
    return out;
  }
  let positional = 0;
  for (const it of rest) {
    if (it.kind === 'positional') {
      positional++;
      continue;
    }
    const arg = node[it.name];
    if (arg?._type !== 'arg') {
      out.push(`${pathText}: unknown argument ${it.name}`);
      continue;
    }
    out.push(...checkValue(pathText, it.name, arg.desc ?? '', it.value));
    if (cmdName === 'unset' && it.name === 'value-name') {
      const v = word(it.value);
      if (!v || dir.set?.[v]?._type !== 'arg') out.push(`${pathText}: ${v} is not a property of this menu`);
    }
  }
  if (positional && !first.startsWith(':') && !('numbers' in node) && !('value-name' in node)) out.push(`${pathText}: takes no positional argument`);
  return out;
}

function menuProperties(dir: Node): Set<string> {
  const s = new Set(READ_ONLY);
  for (const c of ['add', 'set', 'print']) for (const k of Object.keys(dir[c] ?? {})) if (k !== '_type') s.add(k);
  return s;
}

/** Enum (`a|b|c`, optionally `[,Name*]` for lists) and `max length N` checks from the tree's desc. */
export function checkValue(path: string, name: string, desc: string, v: Value): string[] {
  const text = v.kind === 'word' ? v.text : v.kind === 'string' ? v.value : undefined;
  if (text === undefined) return [];
  const enumMatch = /^([A-Za-z0-9./-]+(?:\|[A-Za-z0-9./-]+)+)(\[,\w+\*\])?$/.exec(desc);
  if (enumMatch) {
    const allowed = new Set(enumMatch[1].split('|'));
    const values = enumMatch[2] ? text.split(',') : [text];
    return values.filter((x) => !allowed.has(x)).map((x) => `${path}: ${name}=${x} is not one of ${[...allowed].join('|')}`);
  }
  const max = /max length (\d+)/.exec(desc);
  if (max && Buffer.byteLength(text, 'utf8') > Number(max[1])) return [`${path}: ${name} longer than ${max[1]}`];
  return [];
}

/** The housing-association example with other MikroTik settings (and optional spec changes). */
export function housingVariant(mikrotik: Record<string, unknown>, change: (spec: any) => void = () => {}): string {
  const spec = parseYaml(readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8'));
  spec.targets = { mikrotik: { ...spec.targets.mikrotik, ...mikrotik } };
  change(spec);
  return stringifyYaml(spec);
}

export function renderMikrotik(yaml: string, withSecrets = false): string {
  const r = renderText(yaml, ['mikrotik'], withSecrets);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  return Object.values(r.files)[0];
}

/** The variants pinned under test/golden-variants/mikrotik/ and checked against the command trees. */
export const variants: { name: string; tree?: '7.20' | '7.12.2'; yaml: () => string }[] = [
  { name: 'v7-wifi', tree: '7.20', yaml: () => housingVariant({ routeros: 7, wifi: 'wifi', wifiInterface: 'wifi2' }) },
  { name: 'v7-wifiwave2', tree: '7.12.2', yaml: () => housingVariant({ routeros: 7, wifi: 'wifiwave2', wifiInterface: 'wifi1' }) },
  { name: 'v7-wireless', tree: '7.20', yaml: () => housingVariant({ routeros: 7, wifi: 'wireless', wifiInterface: 'wlan1' }) },
  { name: 'v6-wireless', yaml: () => housingVariant({ routeros: 6, wifi: 'wireless', wifiInterface: 'wlan1' }) },
  // Every other code path: no VLAN (bridge port), enforced minimum signal, NTP answered by the router,
  // DNS fallback allowed (address rules), default allow, no logging.
  ...(['wifi', 'wifiwave2', 'wireless'] as const).map((wifi) => ({
    name: `v7-${wifi}-enforce-ntp-redirect`,
    tree: (wifi === 'wifiwave2' ? '7.12.2' : '7.20') as '7.20' | '7.12.2',
    yaml: () =>
      housingVariant({ routeros: 7, wifi, wifiInterface: 'wlan1' }, (s) => {
        delete s.network.vlan;
        s.wifi.enforceMinSignal = true;
        s.policy = { dns: 'allow-fallback', ntp: 'redirect', defaultDeny: false, log: false };
      }),
  })),
  {
    name: 'v6-wireless-enforce',
    yaml: () =>
      housingVariant({ routeros: 6, wifi: 'wireless', wifiInterface: 'wlan1' }, (s) => {
        delete s.network.vlan;
        s.wifi.enforceMinSignal = true;
        s.policy.ntp = 'any';
      }),
  },
  // The whole radio instead of a virtual AP.
  { name: 'v7-wifi-take-over-move', tree: '7.20', yaml: () => housingVariant({ routeros: 7, wifi: 'wifi', wifiInterface: 'wifi2', radio: 'take-over', moveRadio: true }, (s) => delete s.network.vlan) },
  { name: 'v7-wifiwave2-take-over', tree: '7.12.2', yaml: () => housingVariant({ routeros: 7, wifi: 'wifiwave2', wifiInterface: 'wifi2', radio: 'take-over' }) },
  { name: 'v6-wireless-take-over-move', yaml: () => housingVariant({ routeros: 6, wifi: 'wireless', wifiInterface: 'wlan1', radio: 'take-over', moveRadio: true }, (s) => delete s.network.vlan) },
];

export const takeOverVariants = variants.filter((v) => v.name.includes('take-over'));
