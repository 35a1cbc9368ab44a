import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createWriter, type WriterDeps } from '../src/cli/stdio.js';
import { root } from './helpers.js';

/** A descriptor that takes `accept(n)` bytes per write(2) call and then fails as `fail` says. */
function fakeDeps(accept: (call: number, length: number) => number | NodeJS.ErrnoException) {
  const written: Buffer[] = [];
  const streamed: Buffer[] = [];
  const exits: number[] = [];
  let calls = 0;
  const stream = Object.assign(new EventEmitter(), {
    write(chunk: string | Uint8Array) {
      streamed.push(Buffer.from(chunk as any));
      return true;
    },
  });
  const deps: WriterDeps = {
    writeSync(_fd, buffer, offset, length) {
      const r = accept(calls++, length);
      if (typeof r !== 'number') throw r;
      written.push(Buffer.from(buffer.subarray(offset, offset + r)));
      return r;
    },
    stream: () => stream as unknown as NodeJS.WriteStream,
    exit: (code) => void exits.push(code),
  };
  return { deps, written, streamed, exits, stream };
}
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('stdout and stderr through write(2)', () => {
  it('writes every byte, in order, when the descriptor takes a few bytes at a time', () => {
    const f = fakeDeps((_c, length) => Math.min(3, length));
    const write = createWriter(2, f.deps);
    write('Gård \u2028 one\n');
    write('two\n');
    expect(Buffer.concat(f.written).toString('utf8')).toBe('Gård \u2028 one\ntwo\n');
    expect(f.streamed).toEqual([]);
  });

  it('a non-blocking descriptor (EAGAIN) hands the unwritten rest and everything after to the stream', () => {
    const f = fakeDeps((call, length) => (call === 0 ? Math.min(4, length) : errno('EAGAIN')));
    const write = createWriter(1, f.deps);
    write('abcdefgh');
    write('ij');
    expect(Buffer.concat(f.written).toString()).toBe('abcd');
    expect(Buffer.concat(f.streamed).toString()).toBe('efghij');
  });

  it('a closed stdout ends the run quietly with its exit code; a closed stderr only loses text', () => {
    const out = fakeDeps(() => errno('EPIPE'));
    const saved = process.exitCode;
    process.exitCode = 1;
    try {
      createWriter(1, out.deps)('x\n');
    } finally {
      process.exitCode = saved;
    }
    expect(out.exits).toEqual([1]);
    const err = fakeDeps(() => errno('EPIPE'));
    expect(() => createWriter(2, err.deps)('x\n')).not.toThrow();
    expect(err.exits).toEqual([]);
  });

  it('any other write error is not hidden', () => {
    const f = fakeDeps(() => errno('EIO'));
    expect(() => createWriter(2, f.deps)('x')).toThrow('EIO');
  });

  it('a run loads neither the stream nor the tty module when its output is a pipe or a file', () => {
    // The point of the writer: process.stdout/stderr would load them on first use.
    const probe = `process.on('exit', () => require('fs').writeSync(3, JSON.stringify(process.moduleLoadList)));`;
    const r = spawnSync(process.execPath, ['-e', `${probe} process.argv.splice(1, 0, ${JSON.stringify(join(root, 'dist/cli/main.cjs'))}); require(process.argv[1])`, 'validate', join(root, 'examples', 'small-garage.yaml')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('no problems in 1 file');
    const loaded: string[] = JSON.parse(r.output[3] as string);
    expect(loaded).not.toContain('NativeModule tty');
    expect(loaded).not.toContain('NativeModule net');
  });
});
