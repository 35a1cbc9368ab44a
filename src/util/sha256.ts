import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/**
 * SHA-256 of a string's UTF-8 bytes, as hex. @noble/hashes (audited, no dependencies) instead of
 * node:crypto: loading node:crypto costs about 12 ms of every run's start-up, longer than the whole
 * render of one site, and chargewall only needs short stable ids from it. test/plan.test.ts checks
 * it against node:crypto.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
