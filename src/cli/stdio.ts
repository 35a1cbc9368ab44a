import { fstatSync, writeSync } from 'node:fs';
import { lazyRequire } from '../util/lazy-require.js';

/**
 * The CLI's stdout and stderr, written with write(2) on descriptors 1 and 2.
 *
 * Why not process.stdout/stderr: their first use loads Node's stream machinery and, for a pipe or a
 * terminal, its net or tty module: 17 M instructions against 5 M for a write(2) (callgrind,
 * `node -e`), about 2 ms of a one-site render that prints a few lines. The text and its order are the
 * same either way: Node writes to files, pipes and terminals synchronously on Linux too.
 *
 * A descriptor that refuses a blocking write (EAGAIN: a non-blocking pipe shared with the parent)
 * falls back to Node's stream for the rest of the run, which waits for the reader. A closed pipe on
 * stdout (`chargewall targets | head -1`) ends the run quietly with the exit code it already has.
 */
export interface WriterDeps {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  /** Node's stream for the descriptor (loaded only on fallback). */
  stream(): NodeJS.WriteStream;
  exit(code: number): void;
}

const realDeps = (fd: 1 | 2): WriterDeps => ({
  writeSync,
  stream: () => (fd === 1 ? process.stdout : process.stderr),
  exit: (code) => process.exit(code),
});

/** A writer for descriptor 1 or 2; `deps` is for tests. */
export function createWriter(fd: 1 | 2, deps: WriterDeps = realDeps(fd)): (text: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  // Nobody reads stdout any more: stop as the shell expects. A closed stderr only loses messages.
  const closed = () => {
    if (fd === 1) deps.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
  };
  return (text: string) => {
    if (!text) return;
    if (!stream) {
      const bytes = Buffer.from(text, 'utf8');
      let done = 0;
      try {
        while (done < bytes.length) done += deps.writeSync(fd, bytes, done, bytes.length - done);
        return;
      } catch (e: any) {
        if (e?.code === 'EPIPE') return closed();
        if (e?.code !== 'EAGAIN') throw e;
        stream = deps.stream();
        stream.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'EPIPE') closed();
          else throw err;
        });
        stream.write(bytes.subarray(done));
        return;
      }
    }
    stream.write(text);
  };
}

export const writeOut = createWriter(1);
export const writeErr = createWriter(2);

/** Asked once per descriptor: a batch asks for colour at every site, and a descriptor stays what it is. */
const terminal: [boolean?, boolean?, boolean?] = [];

/**
 * Whether a descriptor is a terminal (for colour and progress). A pipe or a file answers from one
 * fstat; only a character device (a terminal, or /dev/null) asks tty.isatty, which loads tty.
 */
export function isTerminal(fd: 1 | 2): boolean {
  return (terminal[fd] ??= askTerminal(fd));
}

function askTerminal(fd: 1 | 2): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return (lazyRequire('node:tty') as typeof import('node:tty')).isatty(fd);
}

/** stderr as the terminal helpers (progress, colour) see it. */
export const stderrStream = {
  get isTTY(): boolean {
    return isTerminal(2);
  },
  write: writeErr,
};
