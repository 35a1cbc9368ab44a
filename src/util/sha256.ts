import { createHash } from 'node:crypto';

/** SHA-256 of a string's UTF-8 bytes, as hex (node:crypto; lone surrogates become U+FFFD, as in any UTF-8 encoder). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
