/**
 * The output edge: where records and tables leave grpctk. Writers above it are synchronous (`write(text)`);
 * this buffers, respects backpressure between input chunks (`drain()`), and turns the ways output can fail
 * into what a user expects:
 *  - stdout closed by the reader (`grpctk decode … | head`): stop quietly, exit 0 (OutputClosed);
 *  - a file that cannot be written (disk full, read-only, no such directory): one line, exit 1; a regular
 *    file is written under a temporary name and renamed into place only when complete, so a half-written
 *    file is never presented as the result;
 *  - Ctrl-C (SIGINT), SIGTERM or SIGHUP while a file is written: the temporary file is removed, then the
 *    process ends by that signal as it would have without grpctk's handler (exit status 128 + signal).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GrpctkError, EXIT_INPUT, EXIT_OK } from '../errors';
import { Progress } from './progress';

/** Thrown when the consumer of stdout went away; the CLI exits 0 without a message. */
export class OutputClosed extends GrpctkError {
  constructor() {
    super('output closed', EXIT_OK);
  }
}

export class OutputError extends GrpctkError {
  constructor(message: string) {
    super(message, EXIT_INPUT);
  }
}

/** Temporary files being written, removed when a signal (or an exit) ends the process before their rename. */
const temporaryFiles = new Set<string>();
const CLEANUP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function removeTemporaryFiles(): void {
  for (const f of temporaryFiles) fs.rmSync(f, { force: true });
  temporaryFiles.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeTemporaryFiles();
  stopWatching();
  // With no listener left, the signal's default action applies: the process ends by it, as the shell expects.
  process.kill(process.pid, signal);
}

function stopWatching(): void {
  for (const s of CLEANUP_SIGNALS) process.removeListener(s, onSignal);
  process.removeListener('exit', removeTemporaryFiles);
}

function trackTemporary(file: string): void {
  if (temporaryFiles.size === 0) {
    for (const s of CLEANUP_SIGNALS) process.on(s, onSignal);
    process.on('exit', removeTemporaryFiles);
  }
  temporaryFiles.add(file);
}

function untrackTemporary(file: string): void {
  if (!temporaryFiles.delete(file)) return;
  // Listeners only while a file is open: otherwise Ctrl-C keeps its default meaning.
  if (temporaryFiles.size === 0) stopWatching();
}

/** Bytes gathered before a write to the underlying stream: large writes, few syscalls. */
const CHUNK_BYTES = 256 * 1024;

export interface Output {
  /** Queue text; never blocks. Throws OutputClosed / OutputError once the edge has failed. */
  write(text: string): void;
  /**
   * Queue bytes already encoded as UTF-8, in order with `write`; never blocks. The caller hands them over:
   * it must not modify them afterwards (they are written as they are, without a copy).
   */
  writeBytes?(bytes: Uint8Array): void;
  /**
   * A writer that gathers bytes itself (the NDJSON writer) registers how to hand them over: it is called
   * before every drain (so records still flow between input chunks on a live pipe) and before close.
   */
  attach?(flush: () => void): void;
  /** Resolves when the underlying stream can take more (call between input chunks). */
  drain(): Promise<void>;
  /** Flush and close; for a file, move it into place. */
  close(): Promise<void>;
  /** Remove a partial file after a failure (no-op for stdout). */
  abort(): Promise<void>;
  readonly isTTY: boolean;
}

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOSPC': return 'no space left on device';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOENT': return 'no such file or directory';
    case 'EISDIR': return 'is a directory';
    case 'EDQUOT': return 'disk quota exceeded';
    default: return err.message.replace(/^[A-Z]+: /, '');
  }
}

class StreamOutput implements Output {
  private pending: string[] = [];
  private pendingBytes = 0;
  private failure: GrpctkError | undefined;
  private waiting = false;
  private readonly flushers: Array<() => void> = [];

  constructor(
    private readonly stream: NodeJS.WritableStream & { writableNeedDrain?: boolean },
    private readonly label: string,
    readonly isTTY: boolean,
    private readonly finish: (ok: boolean) => Promise<void>,
  ) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // The first failure is the one to report; later ones are its consequences.
      if (this.failure) return;
      this.failure = err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED'
        ? new OutputClosed()
        : new OutputError(`cannot write ${label}: ${describe(err)}`);
    });
  }

  write(text: string): void {
    if (this.failure) throw this.failure;
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= CHUNK_BYTES) this.flush();
  }

  attach(flush: () => void): void {
    this.flushers.push(flush);
  }

  private flushAttached(): void {
    for (const f of this.flushers) f();
  }

  writeBytes(bytes: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.flush();
    if (this.isTTY) Progress.clearForOutput();
    this.stream.write(bytes);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    // Output on the terminal where progress is drawn: the line goes first (see ./progress.ts).
    if (this.isTTY) Progress.clearForOutput();
    this.stream.write(text);
  }

  async drain(): Promise<void> {
    if (this.failure) throw this.failure;
    this.flushAttached();
    this.flush();
    if (this.stream.writableNeedDrain && !this.waiting) {
      this.waiting = true;
      await new Promise<void>((resolve) => {
        const done = () => { this.stream.off('drain', done); this.stream.off('error', done); resolve(); };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
      this.waiting = false;
    }
    if (this.failure) throw this.failure;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  async close(): Promise<void> {
    if (!this.failure) {
      this.flushAttached();
      this.flush();
    }
    // `finish` checks `failed` again once the stream has ended: a write error surfaces only then.
    await this.finish(!this.failure);
    if (this.failure) throw this.failure;
  }

  async abort(): Promise<void> {
    this.pending = [];
    await this.finish(false).catch(() => undefined);
  }
}

/**
 * Open `-o FILE` (or stdout when `file` is undefined or '-').
 */
export function openOutput(file?: string): Output {
  if (file === undefined || file === '-') {
    const out = process.stdout;
    return new StreamOutput(out, 'standard output', Boolean(out.isTTY), async () => {
      if (out.writableNeedDrain) await new Promise<void>((r) => { out.once('drain', r); out.once('error', () => r()); });
    });
  }
  let regular = true;
  try {
    regular = fs.statSync(file).isFile();
  } catch {
    regular = true; // does not exist yet
  }
  // Special files (/dev/stdout, /dev/full, a FIFO) are written in place; regular files atomically.
  const target = regular ? path.join(path.dirname(file), `.${path.basename(file)}.grpctk-${process.pid}.tmp`) : file;
  let fd: number;
  // Watched before it exists: a signal between its creation and the watch would leave it behind.
  if (regular) trackTemporary(target);
  try {
    fd = fs.openSync(target, 'w');
  } catch (err) {
    if (regular) untrackTemporary(target);
    throw new OutputError(`cannot write ${file}: ${describe(err as NodeJS.ErrnoException)}`);
  }
  const stream = fs.createWriteStream('', { fd, highWaterMark: CHUNK_BYTES });
  // eslint-disable-next-line prefer-const
  let output: StreamOutput;
  const finish = async (ok: boolean): Promise<void> => {
    // Wait for 'close', which comes after any write error has been emitted, so `failed` is final.
    await new Promise<void>((resolve) => {
      // A failed write destroys the stream at once but emits 'error' and 'close' a tick later.
      if (stream.closed) return resolve();
      stream.once('close', () => resolve());
      if (!stream.destroyed) stream.end();
    });
    if (!regular) return;
    try {
      if (ok && !output.failed) {
        try {
          fs.renameSync(target, file);
        } catch (err) {
          fs.rmSync(target, { force: true });
          throw new OutputError(`cannot write ${file}: ${describe(err as NodeJS.ErrnoException)}`);
        }
      } else {
        fs.rmSync(target, { force: true });
      }
    } finally {
      untrackTemporary(target);
    }
  };
  output = new StreamOutput(stream, file, false, finish);
  return output;
}
