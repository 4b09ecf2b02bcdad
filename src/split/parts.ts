/**
 * The output edge of `grpctk split`: part files in one directory, each a pcapng file of its own, written
 * through a bounded pool of open file descriptors.
 *
 * A split by connection can make thousands of parts that all stay "in use" until the end of the capture, and
 * an operating system allows a process a few hundred or thousand descriptors. So at most `maxOpenFiles` part
 * files are open, least recently used closed first, and a closed part is reopened for append when its
 * buffered bytes are next written out. Buffers are bounded apart from descriptors (PART_BUFFER_BYTES each,
 * TOTAL_BUFFER_BYTES in all). A part's PcapngWriter lives as long as the part, so reopening writes no second
 * Section Header Block: only packets, and an Interface Description Block the first time an interface appears
 * in that part.
 *
 * Writing is synchronous (fs.writeSync on buffered blocks): parts are regular files, and a failure (a full
 * disk, a read-only directory) is thrown at once as one line naming the file, exit code 1.
 */
import { DSB_SECRETS_TYPE_TLS } from '../pcap/constants';
import * as fs from 'fs';
import * as path from 'path';
import { GrpctkError, EXIT_INPUT, UsageError } from '../errors';
import { formatTimestamp } from '../records/time';
import { PcapngWriter, interfaceFromCapture } from '../pcap/writer';
import type { CaptureInterface, Packet } from '../pcap/types';
import type { WriterInterface, WriterSection } from '../pcap/writer-api';
import { NameRegistry, NameTemplate } from './names';

/**
 * Part files open at once (--max-open-files). 64 is far below every default descriptor limit (1024 on Linux,
 * 256 on macOS) and leaves room for what Node and the input use. Opening one more closes the least recently
 * used; a closed part is reopened for append when its buffer is next written out. If the system refuses a
 * descriptor before the limit (EMFILE), one more part is closed and the open retried.
 */
export const DEFAULT_MAX_OPEN_FILES = 64;

/** Bytes buffered for one part before they are written out: large writes, few system calls. */
export const PART_BUFFER_BYTES = 64 * 1024;

/**
 * Bytes buffered over all parts. Past it the buffers written to least recently are written out until half
 * of it is left. Buffers do not need a descriptor, so a packet shared by hundreds of method parts costs a
 * copy per part, not an open and a close.
 */
export const TOTAL_BUFFER_BYTES = 8 * 1024 * 1024;

/** One line of the index split prints on stdout (one NDJSON object per part written). */
export interface PartIndexRecord {
  /** The part's path: `-o DIR` joined with its file name. */
  path: string;
  /** What the part holds: a connection `client-server`, a server `ip:port`, a client address, a method path… */
  key: string;
  packets: number;
  /** Size of the part file in bytes (headers included). */
  bytes: number;
  /** ISO-8601 UTC with nanoseconds of the part's first and last packet, in file order. */
  first: string | null;
  last: string | null;
}

/** Thrown when a part cannot be written: one line, exit code 1 (like decode's output errors). */
export class PartWriteError extends GrpctkError {
  constructor(message: string) {
    super(message, EXIT_INPUT);
  }
}

export interface PartPoolOptions {
  dir: string;
  template: NameTemplate;
  /** The Section Header Block every part starts with (copied from the input's first section). */
  section: WriterSection;
  maxOpenFiles?: number;
  /** Replace files of the same name (else -o DIR must be empty or missing: see openOutputDir). */
  force?: boolean;
  /** Called with each part's index record when the part is finished (finish() or close()). */
  onFinished(record: PartIndexRecord): void;
}

/** A part: one output file and what has been written to it. */
export class Part {
  /** Open descriptor, or -1 while the part is closed (between writes, when the pool needed its slot). */
  fd = -1;
  /** The file exists (it was created once); reopening appends. */
  created = false;
  finished = false;
  packets = 0;
  bytes = 0;
  firstSec = 0;
  firstNsec = 0;
  lastSec = 0;
  lastNsec = 0;
  readonly chunks: Uint8Array[] = [];
  buffered = 0;
  /** Global interface id (CaptureInterface.id; -1 for Simple Packet Blocks) → this file's interface id. */
  readonly interfaces = new Map<number, number>();
  writer: PcapngWriter | null = null;
  /** TLS connections (client randoms) whose secrets were written into this part. */
  readonly secretRandoms = new Set<string>();

  constructor(
    readonly index: number,
    readonly key: string,
    readonly name: string,
    readonly path: string,
  ) {}
}

export class PartPool {
  private readonly maxOpen: number;
  /** Parts with an open descriptor, least recently used first (re-inserting a Map key moves it last). */
  private readonly open = new Map<Part, true>();
  /** Parts holding buffered bytes, least recently written first. */
  private readonly buffering = new Map<Part, true>();
  private totalBuffered = 0;
  private readonly names = new NameRegistry();
  /** Parts not finished yet, in the order they were made. */
  private readonly unfinished = new Set<Part>();
  private nextIndex = 0;
  /** Most part files open at once so far (for tests and the summary). */
  peakOpen = 0;
  /** Times a part file was opened again after it was closed to make room. */
  reopens = 0;

  constructor(private readonly options: PartPoolOptions) {
    this.maxOpen = Math.max(1, options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
  }

  /** Parts made so far. */
  get count(): number {
    return this.nextIndex;
  }

  /**
   * A new part for `key`; `fields` fill the --name template (raw values: they are sanitized there). The file
   * is created at once, so an unwritable directory is reported before any packet is read into it.
   */
  create(key: string, fields: Record<string, string>): Part {
    const index = this.nextIndex++;
    const name = this.names.claim(this.options.template.render(index, { key, ...fields }));
    const part = new Part(index, key, name, path.join(this.options.dir, name));
    this.unfinished.add(part);
    this.openFile(part);
    // The writer hands over the Section Header Block at once.
    part.writer = new PcapngWriter((bytes) => this.append(part, bytes), this.options.section);
    return part;
  }

  /** Writes TLS key log lines into `part` as a Decryption Secrets Block, before its next packets. */
  writeSecrets(part: Part, lines: string): void {
    (part.writer as PcapngWriter).writeSecrets(DSB_SECRETS_TYPE_TLS, Buffer.from(lines, 'utf8'));
  }

  /** Writes one packet (its bytes, timestamp, interface and options as read) to `part`. */
  write(part: Part, packet: Packet, iface: CaptureInterface | undefined): void {
    if (part.finished) throw new Error(`split: part ${part.name} written after it was finished`);
    const writer = part.writer as PcapngWriter;
    let local = part.interfaces.get(packet.interfaceId);
    if (local === undefined) {
      local = writer.addInterface(iface ? interfaceFromCapture(iface) : bareInterface(packet));
      part.interfaces.set(packet.interfaceId, local);
    }
    writer.writePacket(local, {
      tsSec: packet.tsSec,
      tsNsec: packet.tsNsec,
      originalLength: packet.originalLength,
      data: packet.data,
      options: packet.options,
      comments: packet.comments,
      flags: packet.flags,
    });
    if (part.packets === 0) {
      part.firstSec = packet.tsSec;
      part.firstNsec = packet.tsNsec;
    }
    part.lastSec = packet.tsSec;
    part.lastNsec = packet.tsNsec;
    part.packets++;
  }

  /** No more packets for `part`: write out its buffer, close it, report its index record, drop its state. */
  finish(part: Part): void {
    if (part.finished) return;
    this.flush(part);
    this.closeFile(part);
    part.finished = true;
    this.unfinished.delete(part);
    part.writer = null;
    part.interfaces.clear();
    this.options.onFinished(recordOf(part));
  }

  /** Finish every part still open, in the order they were made. */
  close(): void {
    for (const p of [...this.unfinished]) this.finish(p);
  }

  /**
   * After a failure: close descriptors without writing more (the error already names the problem). The
   * parts finished so far stay on disk, whole; the files of unfinished parts are removed: they are cut
   * short, and a half-written file must never pass for a complete part (they are not in the index either).
   */
  abort(): void {
    for (const p of this.open.keys()) {
      try {
        fs.closeSync(p.fd);
      } catch {
        // Already failing: the first error is the one reported.
      }
      p.fd = -1;
    }
    this.open.clear();
    for (const p of this.unfinished) {
      try {
        if (p.created) fs.rmSync(p.path, { force: true });
      } catch {
        // Cannot remove it either (a read-only directory): the error already reported says why.
      }
    }
    this.unfinished.clear();
    this.buffering.clear();
    this.totalBuffered = 0;
  }

  // -----------------------------------------------------------------------------------------------------

  private append(part: Part, bytes: Uint8Array): void {
    part.chunks.push(bytes);
    part.buffered += bytes.length;
    part.bytes += bytes.length;
    this.totalBuffered += bytes.length;
    this.buffering.delete(part);
    this.buffering.set(part, true);
    if (part.buffered >= PART_BUFFER_BYTES) this.flush(part);
    if (this.totalBuffered > TOTAL_BUFFER_BYTES) {
      while (this.totalBuffered > TOTAL_BUFFER_BYTES / 2) this.flush(this.buffering.keys().next().value as Part);
    }
  }

  /** Opens (creates, or reopens for append) the part's file, closing the least recently used one when full. */
  private openFile(part: Part): void {
    if (part.fd >= 0) {
      this.open.delete(part);
      this.open.set(part, true);
      return;
    }
    while (this.open.size >= this.maxOpen) this.closeFile(this.open.keys().next().value as Part);
    for (;;) {
      try {
        // Never through a link planted in DIR (it could point anywhere): a new part is a file we create
        // (O_EXCL: fails on any existing name, a dangling link included; with --force the old entry is
        // removed first, a link itself and not its target), and reopening refuses a link (O_NOFOLLOW).
        if (!part.created && this.options.force) removeEntry(part.path);
        const flags = part.created ? REOPEN_FLAGS : CREATE_FLAGS;
        part.fd = fs.openSync(part.path, flags, 0o644);
        if (part.created) this.reopens++;
        part.created = true;
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'EMFILE' || code === 'ENFILE') && this.open.size > 0) {
          // The system's descriptor limit is below ours: make room and try again.
          this.closeFile(this.open.keys().next().value as Part);
          continue;
        }
        if (code === 'EEXIST') {
          throw new UsageError(`${part.path} already exists (give --force to replace it)`);
        }
        if (code === 'ELOOP') throw new GrpctkError(`${part.path}: is a symbolic link; not followed (parts are written only inside -o DIR)`);
        throw writeError(part.path, err);
      }
    }
    this.open.set(part, true);
    if (this.open.size > this.peakOpen) this.peakOpen = this.open.size;
  }

  private flush(part: Part): void {
    if (part.buffered === 0) return;
    this.openFile(part);
    const data = part.chunks.length === 1 ? part.chunks[0] : Buffer.concat(part.chunks, part.buffered);
    this.totalBuffered -= part.buffered;
    part.chunks.length = 0;
    part.buffered = 0;
    this.buffering.delete(part);
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(part.fd, data, off, data.length - off);
    } catch (err) {
      throw writeError(part.path, err);
    }
  }

  private closeFile(part: Part): void {
    if (part.fd < 0) return;
    this.open.delete(part);
    const fd = part.fd;
    part.fd = -1;
    try {
      fs.closeSync(fd);
    } catch (err) {
      // close() is where some file systems (NFS, quotas) report a failed write.
      throw writeError(part.path, err);
    }
  }
}

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = fs.constants;
/** A new part: created here, never an existing name. */
const CREATE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
/** A part closed to make room, reopened: our own file, and never through a link that replaced it. */
const REOPEN_FLAGS = O_WRONLY | O_APPEND | O_NOFOLLOW;

/** Removes what is at `file` (--force): a link is removed, not followed; a missing entry is fine. */
function removeEntry(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(file, err);
  }
}

/**
 * Prepares `-o DIR`: created (with parents) when missing. Without `force` it must be empty, so a split never
 * mixes its parts with the files of an earlier run or overwrites anything; with `force`, parts replace files
 * of the same name and other files are left alone.
 */
export function openOutputDir(dir: string, force: boolean): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(dir, err);
  }
  if (st === undefined) {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw writeError(dir, realMkdirError(dir, err));
    }
    return;
  }
  if (!st.isDirectory()) throw new UsageError(`-o ${dir}: not a directory`);
  if (!force) {
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch (err) {
      throw writeError(dir, err);
    }
    if (entries.length > 0) {
      throw new UsageError(`-o ${dir} is not empty (give --force to write parts into it, replacing files of the same name)`);
    }
  }
}

/**
 * Node's recursive mkdir reports ENOENT for every failure below an existing directory (a read-only file
 * system included); creating the first missing level alone gives the reason a user can act on.
 */
function realMkdirError(dir: string, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  let missing = path.resolve(dir);
  for (let parent = path.dirname(missing); parent !== missing && !fs.existsSync(parent); parent = path.dirname(parent)) {
    missing = parent;
  }
  try {
    fs.mkdirSync(missing);
    fs.rmdirSync(missing);
  } catch (inner) {
    return inner;
  }
  return err;
}

export function recordOf(part: Part): PartIndexRecord {
  return {
    path: part.path,
    key: part.key,
    packets: part.packets,
    bytes: part.bytes,
    first: part.packets > 0 ? formatTimestamp(part.firstSec, part.firstNsec) : null,
    last: part.packets > 0 ? formatTimestamp(part.lastSec, part.lastNsec) : null,
  };
}

/** A Simple Packet Block has no interface of its own: give it one with its link type and no snap length. */
function bareInterface(packet: Packet): WriterInterface {
  return { linkType: packet.linkType, snapLen: 0, tsResolBase: 10, tsResolExp: 9 };
}

function writeError(file: string, err: unknown): PartWriteError {
  const e = err as NodeJS.ErrnoException;
  let why: string;
  switch (e?.code) {
    case 'ENOSPC': why = 'no space left on device'; break;
    case 'EDQUOT': why = 'disk quota exceeded'; break;
    case 'EACCES': case 'EPERM': why = 'permission denied'; break;
    case 'EROFS': why = 'read-only file system'; break;
    case 'ENOENT': why = 'no such file or directory'; break;
    case 'ENOTDIR': why = 'not a directory'; break;
    case 'EISDIR': why = 'is a directory'; break;
    case 'EIO': why = 'input/output error'; break;
    default: why = (e?.message ?? String(err)).replace(/^[A-Z]+: /, '');
  }
  return new PartWriteError(`cannot write ${file}: ${why}`);
}
