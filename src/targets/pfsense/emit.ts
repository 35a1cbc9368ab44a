/**
 * chargewall.xml, built in code (no template): a fixed skeleton around the areas xml.ts `writeEl`
 * writes (it escapes every text node); the one free text, the header comment, passes escape.ts
 * `commentText`, which keeps it from ending the comment.
 */
import { writeEl, type El } from './xml.js';

export interface XmlView {
  header: string;
  aliases: El[];
  filter: El[];
  nat: El[];
  dhcpd: El;
}

const area = (items: El[]) => items.map((e) => writeEl(e, 2)).join('');

export function chargewallXml(v: XmlView): string {
  return (
    '<?xml version="1.0"?>\n' +
    `<!-- ${v.header} -->\n` +
    '<!-- For review and for a firewall that has nothing else yet. Restoring an area from this file in\n' +
    '     Diagnostics > Backup & Restore REPLACES that whole area (every alias, every rule, all NAT).\n' +
    '     To add these items to a running firewall, use the merged config.xml (chargewall render with the pfsense-config option). -->\n' +
    '<pfsense>\n' +
    `\t<aliases>\n${area(v.aliases)}\t</aliases>\n` +
    `\t<filter>\n${area(v.filter)}\t</filter>\n` +
    (v.nat.length > 0 ? `\t<nat>\n${area(v.nat)}\t</nat>\n` : '') +
    `\t<dhcpd>\n${writeEl(v.dhcpd, 2)}\t</dhcpd>\n` +
    '</pfsense>\n'
  );
}
