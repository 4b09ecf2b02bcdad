/**
 * The input edge: a path (or '-' for stdin) in, bytes out, and for captures those bytes pushed into the
 * CaptureReader. The only place in the capture path that touches Node streams and the file system.
 *
 * `openInput` reads the first bytes to tell what the input is: gzip (1f 8b, RFC 1952 section 2.3.1) is
 * decompressed on the fly, multi-member files included; then a pcap/pcapng magic means a capture, anything
 * else text (NDJSON records). The bytes it peeked are handed out again at the start of `chunks`: nothing is
 * lost, which is what lets it work on stdin.
 *
 * Errors are one line: a missing or unreadable file is a UsageError ("cannot open FILE: no such file", exit 2);
 * a read failure or corrupt gzip an InputError; gzip data that stops before its end a TruncatedInputError.
 * Everything before the fault has already been handed out.
 */
import { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GrpctkError, InputError, TruncatedInputError, UsageError } from '../errors';
import { BlockType, PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_MICROSECONDS_SWAPPED, PCAP_MAGIC_NANOSECONDS, PCAP_MAGIC_NANOSECONDS_SWAPPED } from '../pcap/constants';
import { CaptureReader, CaptureReaderOptions } from '../pcap/reader';
import type { CaptureSink } from '../pcap/types';

/**
 * Bytes asked of the file system per read (the stream's highWaterMark): 1 MiB keeps the per-chunk costs (a
 * promise, a DataView) negligible next to parsing, and few blocks straddle two chunks.
 */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Size of gunzip's output pieces. When zlib finds corrupt data it drops the piece it was filling, so this
 * bounds what a corrupt gzip stream can swallow before the error is reported; smaller pieces cost speed
 * (16 KiB, zlib's default, runs at a third of the speed of 64 KiB on a fast disk). 64 KiB: a few packets.
 */
export const GZIP_OUTPUT_CHUNK_BYTES = 64 * 1024;

/** Bytes looked at to tell gzip, captures and text apart. */
const PEEK_BYTES = 4;

export interface OpenInputOptions {
  /** See DEFAULT_CHUNK_BYTES. */
  chunkSize?: number;
  /**
   * A regular file that turns out to be an uncompressed capture is read into two buffers used in turn
   * (the next chunk is read into one while the other is parsed): a chunk is then valid only until the
   * next one is asked for. For a consumer that copies what it keeps (the decode pipeline: packet data is
   * a view valid during one call). Why: a fresh 1 MiB buffer per read is freed only when the garbage
   * collector gets to its small JS object, and on a 1 GB capture those dead buffers held tens of MB of
   * resident memory that a 17 MB capture never reaches (measured with process.memoryUsage()).
   */
  reuseBuffers?: boolean;
}

export interface OpenedInput {
  /** 'capture' when the (decompressed) input starts with a pcap or pcapng magic; otherwise 'text'. */
  kind: 'capture' | 'text';
  /** The path as given ('-' for stdin). */
  path: string;
  /** For messages: the path, or "stdin". */
  name: string;
  /** The input was gzip-compressed (and `chunks` is the decompressed data). */
  gzip: boolean;
  /** Size in bytes of a regular file (compressed size when gzip); undefined for stdin and pipes. */
  totalBytes: number | undefined;
  /** Bytes read from the file or stdin so far (before decompression): compare with totalBytes for progress. */
  readonly bytesRead: number;
  /** Decompressed bytes handed out by `chunks` so far. */
  readonly bytesDecoded: number;
  /** The input's bytes, from the first: iterate once. Buffers are fresh: they may be kept. */
  chunks: AsyncIterable<Buffer>;
  /** Stops reading and releases the file (also done when iteration ends or breaks). */
  close(): void;
}

/** True when `head` starts with a pcapng Section Header Block type or a pcap magic (either byte order). */
export function isCaptureMagic(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  return (
    magic === BlockType.SHB ||
    magic === PCAP_MAGIC_MICROSECONDS ||
    magic === PCAP_MAGIC_NANOSECONDS ||
    magic === PCAP_MAGIC_MICROSECONDS_SWAPPED ||
    magic === PCAP_MAGIC_NANOSECONDS_SWAPPED
  );
}

export function isGzipMagic(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Opens a file or stdin ('-'), peeks at its first bytes and says what it holds. */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES;
  const name = path === '-' ? 'stdin' : path;
  let raw: Readable | null = null;
  let file: fsp.FileHandle | null = null;
  /** Set once the input is known to be an uncompressed capture (see OpenInputOptions.reuseBuffers). */
  const reuse = { on: false };
  let totalBytes: number | undefined;
  if (path === '-') {
    if (process.stdin.isTTY) {
      throw new UsageError('no input: stdin is a terminal (give a FILE, or pipe a capture into grpctk)');
    }
    raw = process.stdin;
  } else {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path, 'r');
    } catch (err) {
      throw openError(path, err);
    }
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new UsageError(`cannot open ${path}: is a directory`);
      totalBytes = st.isFile() ? st.size : undefined;
    } catch (err) {
      await fh.close();
      throw err instanceof GrpctkError ? err : openError(path, err);
    }
    if (options.reuseBuffers) file = fh;
    else raw = fh.createReadStream({ highWaterMark: chunkSize });
  }

  const counts = { read: 0, decoded: 0 };
  const streams: Readable[] = raw ? [raw] : [];
  let fileClosed = false;
  const close = () => {
    for (const s of streams) if (!s.destroyed && s !== process.stdin) s.destroy();
    if (file && !fileClosed) {
      fileClosed = true;
      file.close().catch(() => undefined);
    }
  };

  // Raw bytes, counted, with read errors turned into one line.
  const rawChunks = raw ? readChunks(raw, name, counts) : readFileChunks(file as fsp.FileHandle, chunkSize, reuse, name, counts);
  let gzip: boolean;
  let kind: 'capture' | 'text';
  let all: AsyncIterator<Buffer>;
  try {
    const rawHead = await peek(rawChunks, PEEK_BYTES);
    gzip = isGzipMagic(concatHead(rawHead.chunks));
    let data: AsyncIterator<Buffer> = replay(rawHead.chunks, rawChunks);
    if (gzip) {
      const z = createGunzip({ chunkSize: GZIP_OUTPUT_CHUNK_BYTES });
      streams.push(z);
      data = gunzip(data, z)[Symbol.asyncIterator]();
    }
    const head = await peek(data, PEEK_BYTES);
    kind = isCaptureMagic(concatHead(head.chunks)) ? 'capture' : 'text';
    // The chunks peeked so far were fresh; from here on, reads may reuse buffers (OpenInputOptions).
    reuse.on = kind === 'capture' && !gzip;
    all = replay(head.chunks, data);
  } catch (err) {
    close();
    throw err;
  }
  const chunks: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        const r = await all.next();
        if (r.done) close();
        else counts.decoded += r.value.length;
        return r;
      },
      async return() {
        close();
        await all.return?.();
        return { done: true, value: undefined };
      },
    }),
  };
  return {
    kind,
    path,
    name,
    gzip,
    totalBytes,
    get bytesRead() {
      return counts.read;
    },
    get bytesDecoded() {
      return counts.decoded;
    },
    chunks,
    close,
  };
}

export interface ReadCaptureOptions extends CaptureReaderOptions, OpenInputOptions {
  /** Called after each chunk is parsed: raw bytes read so far and the file size when known. */
  onProgress?(bytesRead: number, totalBytes: number | undefined): void;
}

export interface ReadCaptureResult {
  format: 'pcap' | 'pcapng';
  gzip: boolean;
  /** Bytes read from the file or stdin (compressed size when gzip). */
  bytesRead: number;
  /** Bytes of capture parsed (after decompression). */
  bytesDecoded: number;
  packets: number;
}

/**
 * Reads a whole capture (a path, '-' for stdin, or an input already opened by openInput) into `sink`, in file
 * order, and resolves when the last packet has been delivered. Rejects with the reader's or the edge's
 * one-line error; the sink has by then seen every packet before the fault.
 */
export async function readCapture(
  input: string | OpenedInput,
  sink: CaptureSink,
  options: ReadCaptureOptions = {},
): Promise<ReadCaptureResult> {
  const opened = typeof input === 'string' ? await openInput(input, options) : input;
  const reader = new CaptureReader(sink, options);
  const onProgress = options.onProgress;
  try {
    for await (const chunk of opened.chunks) {
      reader.push(chunk);
      if (onProgress) onProgress(opened.bytesRead, opened.totalBytes);
    }
    reader.end();
  } finally {
    opened.close();
  }
  return {
    format: reader.format!,
    gzip: opened.gzip,
    bytesRead: opened.bytesRead,
    bytesDecoded: reader.bytesPushed,
    packets: reader.packets,
  };
}

// -------------------------------------------------------------------------------------------------------------

function openError(path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : ((err as Error)?.message ?? String(err));
  return new UsageError(`cannot open ${path}: ${why}`);
}

async function* readChunks(raw: Readable, name: string, counts: { read: number }): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of raw) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      counts.read += b.length;
      yield b;
    }
  } catch (err) {
    if (err instanceof GrpctkError) throw err;
    throw new InputError(`cannot read ${name}: ${(err as Error)?.message ?? String(err)}`);
  }
}

/**
 * A file read in `chunkSize` chunks, one read ahead of the consumer: into fresh buffers until `reuse.on`,
 * then into two buffers in turn (the one being filled is never the one the consumer holds: it asked for
 * the next chunk, so it is done with the one before).
 */
async function* readFileChunks(
  fh: fsp.FileHandle,
  chunkSize: number,
  reuse: { on: boolean },
  name: string,
  counts: { read: number },
): AsyncGenerator<Buffer> {
  const pool: Buffer[] = [];
  let turn = 0;
  const start = (): Promise<Buffer> => {
    let buf: Buffer;
    if (reuse.on) {
      const i = turn++ & 1;
      buf = pool[i] ?? (pool[i] = Buffer.allocUnsafe(chunkSize));
    } else {
      buf = Buffer.allocUnsafe(chunkSize);
    }
    return fh.read(buf, 0, chunkSize, null).then((r) => buf.subarray(0, r.bytesRead));
  };
  let pending: Promise<Buffer> | null = start();
  try {
    for (;;) {
      const chunk: Buffer = await pending;
      if (chunk.length === 0) {
        pending = null;
        return;
      }
      counts.read += chunk.length;
      pending = start();
      yield chunk;
    }
  } catch (err) {
    pending = null;
    if (err instanceof GrpctkError) throw err;
    throw new InputError(`cannot read ${name}: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    // Stopped early (the consumer broke off): the read in flight is not waited for, and cannot reject unseen.
    pending?.catch(() => undefined);
  }
}

/** Pulls chunks until at least `n` bytes (or the end) are in hand. */
async function peek(it: AsyncIterator<Buffer>, n: number): Promise<{ chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const r = await it.next();
    if (r.done) break;
    if (r.value.length === 0) continue;
    chunks.push(r.value);
    have += r.value.length;
  }
  return { chunks };
}

function concatHead(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** The peeked chunks again, then the rest of `it`. */
function replay(first: Buffer[], it: AsyncIterator<Buffer>): AsyncIterator<Buffer> {
  let i = 0;
  return {
    next() {
      if (i < first.length) return Promise.resolve({ done: false, value: first[i++] });
      return it.next();
    },
    async return() {
      await it.return?.();
      return { done: true, value: undefined };
    },
  };
}

/** Decompresses `src` through `z`; zlib's errors become one-line InputErrors. */
async function* gunzip(src: AsyncIterator<Buffer>, z: ReturnType<typeof createGunzip>): AsyncGenerator<Buffer> {
  const iterable: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => src };
  pipeline(ReadableStream.from(iterable, { objectMode: false }), z, () => {
    // Errors reach the consumer through the iteration of z below.
  });
  let decoded = 0;
  try {
    for await (const chunk of z) {
      decoded += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (err) {
    if (err instanceof GrpctkError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) {
      throw new TruncatedInputError(`gzip data cut short after ${decoded} decompressed bytes`);
    }
    throw new InputError(`corrupt gzip data after ${decoded} decompressed bytes (${e.message ?? String(err)})`);
  }
}
