/**
 * The output edge of a live capture: pcapng bytes from the writer to a file, to stdout, or to a ring of files
 * (dumpcap's `-b filesize -b files`). Writes are synchronous, one writev per batch, so a `kill -INT` or a
 * count reached never leaves bytes in a JavaScript buffer, and `-w - | grpctk decode -` sees each batch as soon
 * as it is captured.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT_INPUT, GrpctkError } from '../errors';
import { PcapngWriter } from '../pcap/writer';
import { DSB_SECRETS_TYPE_TLS } from '../pcap/constants';
import type { WriterInterface, WriterSection, WriterStatistics } from '../pcap/writer-api';
import type { LivePacket } from './batch';

/** The reader of our stdout went away (`grpctk capture -w - | head`): the capture ends quietly. */
export class OutputClosedError extends Error {
  constructor() {
    super('output closed');
    this.name = 'OutputClosedError';
  }
}

/**
 * How long one write may wait on a full non-blocking pipe before trying again. A consumer that stops reading
 * stalls the capture (libpcap then counts drops), exactly as it would stall dumpcap.
 */
const EAGAIN_WAIT_MS = 5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes every byte of `chunks` to `fd`: partial writes continue where they stopped, a non-blocking descriptor
 * that is full is waited for. EPIPE becomes OutputClosedError; any other failure is thrown as is.
 */
export function writeAllSync(fd: number, chunks: Uint8Array[]): void {
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    let written: number;
    try {
      written = fs.writevSync(fd, rest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, EAGAIN_WAIT_MS);
        continue;
      }
      if (code === 'EPIPE') throw new OutputClosedError();
      throw err;
    }
    // Drop what was written: whole chunks, then the front of the first one left.
    let i = 0;
    while (i < rest.length && written >= rest[i].length) written -= rest[i++].length;
    rest = rest.slice(i);
    if (rest.length > 0 && written > 0) rest[0] = rest[0].subarray(written);
  }
}

export interface PcapngOutputOptions {
  /** A file name, or '-' for stdout. */
  path: string;
  section: WriterSection;
  iface: WriterInterface;
  /**
   * Ring buffer: start a new file once the current one holds this many bytes (checked before each packet, so
   * a file ends with the packet that crossed the limit, then its ISB). Needs a file name, not '-'.
   */
  ringSizeBytes?: number;
  /** Ring buffer: keep only the newest N files, deleting older ones; absent or 0: keep every file. */
  ringFiles?: number;
  /** Counters for the ISB that ends each ring file but the last (the last one gets `close(stats)`'s). */
  statsNow?: () => WriterStatistics | undefined;
  /** The clock used in ring file names (tests fix it). */
  now?: () => Date;
  /** TLS key log lines to write at the start of each new file (capture --tls-keylog), or ''. */
  secretsForNewFile?: () => string;
}

/**
 * Writes one pcapng section per file: SHB, one IDB, EPBs, and an ISB at the end. Call flush() once at start
 * (so a reader of a pipe learns the link type before the first packet), then packet() for each packet of a
 * batch and flush() once per batch; close() at the end.
 */
export class PcapngOutput {
  private fd = -1;
  private writer: PcapngWriter | undefined;
  private ifaceId = 0;
  private pending: Uint8Array[] = [];
  private bytesInFile = 0;
  private packetsInFile = 0;
  private sequence = 0;
  private currentName = '';
  private readonly kept: string[] = [];
  private readonly written: string[] = [];
  private closed = false;

  constructor(private readonly options: PcapngOutputOptions) {
    if (options.ringSizeBytes !== undefined && options.path === '-') {
      throw new GrpctkError('a ring buffer needs -w FILE, not -w -', EXIT_INPUT);
    }
    this.openNext();
  }

  /** Every file written so far, in order (deleted ring files included). */
  get files(): string[] {
    return this.written.slice();
  }

  /** The files that remain on disk. */
  get keptFiles(): string[] {
    return this.kept.slice();
  }

  /** Writes TLS key log lines as a Decryption Secrets Block, before the packets that follow. */
  secrets(lines: string): void {
    this.writer!.writeSecrets(DSB_SECRETS_TYPE_TLS, Buffer.from(lines, 'utf8'));
  }

  packet(p: LivePacket): void {
    const ring = this.options.ringSizeBytes;
    if (ring !== undefined && this.packetsInFile > 0 && this.bytesInFile >= ring) this.rotate();
    this.writer!.writePacket(this.ifaceId, p);
    this.packetsInFile++;
  }

  /** Writes what the writer produced since the last flush. */
  flush(): void {
    if (this.pending.length === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.write(chunks);
  }

  /** Ends the current file with an ISB (when `stats` is given), writes it out and closes it. */
  close(stats?: WriterStatistics): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (stats) this.writer!.writeStatistics(this.ifaceId, stats);
      this.flush();
    } finally {
      this.release();
    }
  }

  /** Closes without writing anything more (the reader is gone, or writing already failed). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.release();
  }

  private release(): void {
    if (this.fd > 1) {
      try {
        fs.closeSync(this.fd);
      } catch (err) {
        throw this.writeError(err);
      }
    }
    this.fd = -1;
  }

  private rotate(): void {
    const stats = this.options.statsNow?.();
    if (stats) this.writer!.writeStatistics(this.ifaceId, stats);
    this.flush();
    this.release();
    this.openNext();
  }

  private openNext(): void {
    const o = this.options;
    if (o.path === '-') {
      this.fd = 1;
      this.currentName = 'standard output';
    } else {
      this.sequence++;
      const name = o.ringSizeBytes !== undefined ? ringFileName(o.path, this.sequence, (o.now ?? (() => new Date()))()) : o.path;
      this.currentName = name;
      try {
        this.fd = fs.openSync(name, 'w');
      } catch (err) {
        throw this.writeError(err);
      }
      this.written.push(name);
      this.kept.push(name);
      const max = o.ringFiles ?? 0;
      while (max > 0 && this.kept.length > max) {
        const old = this.kept.shift()!;
        try {
          fs.unlinkSync(old);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.writeError(err, old);
        }
      }
    }
    this.bytesInFile = 0;
    this.packetsInFile = 0;
    this.writer = new PcapngWriter((bytes) => {
      this.pending.push(bytes);
      this.bytesInFile += bytes.length;
    }, o.section);
    this.ifaceId = this.writer.addInterface(o.iface);
    // A new ring file carries the secrets its connections may need (those written so far), so it decrypts
    // on its own.
    const secrets = o.secretsForNewFile?.();
    if (secrets) this.secrets(secrets);
  }

  private write(chunks: Uint8Array[]): void {
    try {
      writeAllSync(this.fd, chunks);
    } catch (err) {
      if (err instanceof OutputClosedError) throw err;
      throw this.writeError(err);
    }
  }

  private writeError(err: unknown, name = this.currentName): GrpctkError {
    const e = err as NodeJS.ErrnoException;
    const what = name === 'standard output' ? name : `'${name}'`;
    return new GrpctkError(`cannot write ${what}: ${e && e.message ? e.message : String(err)}`, EXIT_INPUT);
  }
}

/**
 * dumpcap's ring file names: `trace.pcapng` becomes `trace_00001_20240131235959.pcapng` (sequence number,
 * then the local time the file was started).
 */
export function ringFileName(base: string, sequence: number, when: Date): string {
  const dir = path.dirname(base);
  const ext = path.extname(base);
  const stem = path.basename(base, ext);
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp =
    String(when.getFullYear()).padStart(4, '0') +
    two(when.getMonth() + 1) +
    two(when.getDate()) +
    two(when.getHours()) +
    two(when.getMinutes()) +
    two(when.getSeconds());
  return path.join(dir, `${stem}_${String(sequence).padStart(5, '0')}_${stamp}${ext}`);
}
