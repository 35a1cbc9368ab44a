/**
 * Escaping for the Linux files. Free text (site and unit names) reaches them only here:
 * - `#` comment lines (rules.v4, ipset.conf, dnsmasq.conf, hostapd.conf, apply.sh) end at a newline,
 *   so control and line-separator characters become spaces;
 * - dnsmasq host names are DNS labels derived from the unit name;
 * - the SSID goes to hostapd as hex (`ssid2=<hex>`), which no byte can break out of.
 * Rule comments inside iptables-restore are built from validated ids only.
 */
export function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

/** A DNS label (RFC 1123) from free text, for dnsmasq `dhcp-host` names; `fallback` when nothing is left. */
export function hostLabel(text: string, fallback: string): string {
  const label = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || fallback;
}

export function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
