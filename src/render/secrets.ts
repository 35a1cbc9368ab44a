import type { WifiPlan } from '../plan/types.js';
import { RenderError, type RenderOptions } from '../targets/types.js';

const PASSPHRASE = ['wifi', 'passphrase'];

/** The passphrase for an output, or undefined when secrets stay out of the files. */
export function passphraseFor(wifi: WifiPlan, options: RenderOptions): string | undefined {
  if (!options.withSecrets) return undefined;
  const p = wifi.passphrase;
  if (p.kind === 'literal') return p.value;
  const value = options.env[p.name];
  if (value === undefined || value === '') {
    throw new RenderError(`--with-secrets: environment variable ${p.name} (wifi.passphrase.env) is not set`, 'passphrase-env-missing', PASSPHRASE);
  }
  if (!/^[\x20-\x7e]{8,63}$/.test(value)) {
    throw new RenderError(`--with-secrets: ${p.name} must hold 8 to 63 printable ASCII characters (it has ${value.length})`, 'passphrase-invalid', PASSPHRASE);
  }
  return value;
}

/** Where the passphrase comes from, for comments and steps (never the value). */
export function passphraseSource(wifi: WifiPlan): string {
  return wifi.passphrase.kind === 'env' ? `environment variable ${wifi.passphrase.name}` : 'wifi.passphrase in the spec';
}
