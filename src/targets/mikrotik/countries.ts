/**
 * ISO 3166-1 alpha-2 → RouterOS country names. The legacy `wireless` menu takes lower-case names
 * (`country=sweden`), the `wifi`/`wifiwave2` configuration capitalised ones (`country=Sweden`).
 * Only countries whose RouterOS spelling is a plain English short name are listed; any other code
 * fails the render (UnsupportedError) instead of guessing a regulatory domain.
 */
const NAMES: Record<string, string> = {
  AT: 'Austria',
  BE: 'Belgium',
  DE: 'Germany',
  DK: 'Denmark',
  EE: 'Estonia',
  ES: 'Spain',
  FI: 'Finland',
  FR: 'France',
  GB: 'United Kingdom',
  IE: 'Ireland',
  IS: 'Iceland',
  IT: 'Italy',
  LT: 'Lithuania',
  LU: 'Luxembourg',
  LV: 'Latvia',
  NL: 'Netherlands',
  NO: 'Norway',
  PL: 'Poland',
  PT: 'Portugal',
  SE: 'Sweden',
  CH: 'Switzerland',
  US: 'United States',
};

export function routerosCountry(code: string): string | undefined {
  return NAMES[code];
}

export const supportedCountries = (): string[] => Object.keys(NAMES).sort();
