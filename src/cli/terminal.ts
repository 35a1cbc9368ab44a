import { stderrStream } from './stdio.js';

/** Colour and progress for people at a terminal; nothing of it reaches pipes, files or CI logs. */

interface Stream {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** Colour only on a TTY, never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export function useColor(stream: Stream, env: Record<string, string | undefined> = process.env): boolean {
  return !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
}

const SGR = { error: '\x1b[1;31m', warning: '\x1b[1;33m', reset: '\x1b[0m' };

/** `file:line:col: error CODE: ...` with the severity word coloured. */
export function colorDiagnostic(line: string): string {
  return line.replace(/^(.*?:\d+:\d+: )(error|warning)( )/, (_, at, sev, sp) => `${at}${SGR[sev as 'error' | 'warning']}${sev}${SGR.reset}${sp}`);
}

/**
 * A one-line progress indicator for runs over many specs: only on a terminal (stderr TTY) and
 * never under CI=true, where it would litter the log with carriage returns.
 */
export function progress(total: number, stream: Stream = stderrStream, env: Record<string, string | undefined> = process.env) {
  const on = total > 1 && !!stream.isTTY && !env.CI;
  let shown = false;
  return {
    step(i: number, label: string) {
      if (!on) return;
      stream.write(`\r\x1b[K[${i + 1}/${total}] ${label}`);
      shown = true;
    },
    /** Clears the line before other output. */
    clear() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
