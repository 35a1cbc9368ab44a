import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { lazyRequire } from './lazy-require.js';

/**
 * SHA-256 of a string's UTF-8 bytes, as hex. @noble/hashes (audited, no dependencies) by default:
 * for one site, loading node:crypto costs more than hashing in JavaScript (a one-site render: 652 M
 * instructions with noble, 674 M with node:crypto, callgrind). A batch switches to node:crypto once
 * (useNativeSha256): the load is paid once, and a 1.4 KB hash then costs about 17 µs instead of 73
 * (average of the first 500 calls in a fresh process).
 * test/plan.test.ts checks both against each other.
 */
let native: ((text: string) => string) | undefined;

export function sha256Hex(text: string): string {
  return native ? native(text) : bytesToHex(sha256(utf8ToBytes(text)));
}

/** From now on hash with node:crypto (same bytes in, same hex out). For runs over many sites. */
export function useNativeSha256(): void {
  if (native) return;
  const { createHash } = lazyRequire('node:crypto') as typeof import('node:crypto');
  native = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
}
