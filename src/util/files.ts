import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reading only regular files. A FIFO makes a plain read wait for a writer forever, and a link to
 * /dev/zero reads until memory runs out: open without blocking (and, inside the output folder,
 * without following a link), then look at what was opened before reading a byte.
 */
export class NotRegularError extends Error {
  readonly code = 'ENOTREG';
  readonly syscall = 'open';
  constructor(readonly path: string, readonly kind: string) {
    super(`${path} is ${kind}, not a ${kind === 'a directory' ? 'file' : 'regular file'}`);
    this.name = 'NotRegularError';
  }
}

export function kindOf(st: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The text of a regular file, or undefined when nothing is at `path` (or a parent is not a folder).
 * `follow: false` refuses a symbolic link at the last component (O_NOFOLLOW), as the output folder needs.
 * Anything else than a regular file throws NotRegularError, without blocking.
 */
export function readRegularFile(path: string, opts: { follow?: boolean } = {}): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.follow === false ? constants.O_NOFOLLOW : 0));
  } catch (e: any) {
    if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') return undefined;
    if (e?.code === 'ELOOP') throw new NotRegularError(path, 'a symbolic link');
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularError(path, kindOf(st));
    // Read until the end, not just st.size bytes: a file that grows while read is still a regular file, so it ends.
    const parts: Buffer[] = [];
    let at = 0;
    let chunk = Math.max(st.size + 1, 4096);
    for (;;) {
      const buf = Buffer.allocUnsafe(chunk);
      const n = readSync(fd, buf, 0, chunk, at);
      if (n <= 0) break;
      parts.push(n === chunk ? buf : buf.subarray(0, n));
      at += n;
      // A short read of a regular file is its end: no further read (it allocated 64 KiB per file).
      if (n < chunk) break;
      chunk = 65536;
    }
    return (parts.length === 1 ? parts[0] : Buffer.concat(parts)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
