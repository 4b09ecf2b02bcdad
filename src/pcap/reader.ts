/**
 * The capture reader: pcap and pcapng bytes in, sections, interfaces and packets out (see ./types.ts).
 *
 * Push-style and synchronous, like every layer of the core: the edge (../input/open.ts) calls `push(chunk)` as
 * bytes arrive and `end()` when they stop; the sink is called in file order before `push` returns. The format
 * is told by the first four bytes: a pcapng Section Header Block, or a pcap magic (µs or ns, either byte
 * order). Gzip is the edge's business.
 *
 * Framing: a pcapng block (draft-ietf-opsawg-pcapng section 3.1) or a pcap record (draft-ietf-opsawg-pcap
 * section 5) that lies inside the pushed chunk is parsed in place and its packet data is a zero-copy
 * `subarray` of the chunk. A block split across chunks is assembled in the carry buffer first, which grows as
 * bytes arrive (never to a size a header merely claims) up to `maxBlockBytes`.
 *
 * Bad input throws InputError with the byte offset and what was expected; everything before the bad block has
 * already been delivered. `end()` inside a block throws TruncatedInputError. After a throw (the reader's or
 * the sink's own) the reader is left mid-block: make a new one rather than push more.
 *
 * Numbering follows Wireshark's frame.number: packets (EPB, SPB, obsolete PB) from 1 over the whole file, and
 * the custom and systemd journal blocks Wireshark also shows as frames take a number without being delivered.
 */
import { InputError, TruncatedInputError } from '../errors';
import {
  BYTE_ORDER_MAGIC,
  BlockType,
  EpbOption,
  IF_FILTER_LIBPCAP_STRING,
  IdbOption,
  IsbOption,
  NrbRecord,
  OptionCode,
  PCAPNG_BLOCK_OVERHEAD,
  PCAPNG_SHB_MIN_BYTES,
  PCAP_FILE_HEADER_BYTES,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_MICROSECONDS_SWAPPED,
  PCAP_MAGIC_MODIFIED,
  PCAP_MAGIC_MODIFIED_SWAPPED,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_MAGIC_NANOSECONDS_SWAPPED,
  PCAP_RECORD_HEADER_BYTES,
  ShbOption,
  blockTypeName,
} from './constants';
import { MICROSECONDS, NANOSECONDS, TickScale, scaleFromTsresol, ticksToTime } from './timestamp';
import type {
  CaptureInterface,
  CaptureSection,
  CaptureSink,
  InterfaceStatistics,
  Packet,
  PcapngOption,
} from './types';

/**
 * Largest pcapng block accepted, in bytes. A longer Block Total Length is taken for a corrupt file (InputError)
 * rather than buffered: the carry buffer never grows past this. 256 MiB is far above any real block (a 64 KiB
 * packet, a few MiB of TLS keys in a DSB) and still bounded.
 */
export const DEFAULT_MAX_BLOCK_BYTES = 256 * 1024 * 1024;
/**
 * Largest if_tsoffset applied, seconds: the range of a JavaScript Date (8.64e12 s, years -271821 to 275760).
 * A larger offset is ignored (reported in `notes`): applied, it would push seconds past 2^53, where
 * timestamps and durations lose their precision.
 */
export const MAX_TS_OFFSET_SEC = 8.64e12;

/**
 * Largest pcap record data accepted beyond the file's snaplen: a record with a captured length over both the
 * snaplen and this is corrupt (InputError). 262144 is Wireshark's and libpcap's maximum for ordinary link types
 * (WTAP_MAX_PACKET_SIZE_STANDARD), so files they read, we read.
 */
export const DEFAULT_MAX_PCAP_PACKET_BYTES = 262144;

export interface CaptureReaderOptions {
  /** See DEFAULT_MAX_BLOCK_BYTES. Also bounds a pcap record. */
  maxBlockBytes?: number;
  /** See DEFAULT_MAX_PCAP_PACKET_BYTES. */
  maxPcapPacketBytes?: number;
}

/** A carry buffer larger than this is dropped after use, so one huge block does not pin memory forever. */
const CARRY_KEEP_BYTES = 4 * 1024 * 1024;
/** First allocation of the carry buffer: enough for any ordinary packet block. */
const CARRY_INITIAL_BYTES = 128 * 1024;

const enum State {
  /** Waiting for the first four bytes. */
  Detect,
  /** pcap: the 24-byte file header. */
  PcapHeader,
  /** pcap: 16-byte record header + data. */
  PcapRecord,
  /** pcapng: blocks. */
  Pcapng,
}

/** One interface of the current section, with what the hot path needs at hand. */
interface IfaceState {
  info: CaptureInterface;
  scale: TickScale;
  /** if_tsoffset, whole seconds. */
  offset: number;
}

/**
 * The packet handed to the sink. A new object per packet (cheap, and safe for a layer that keeps a reference
 * to the packet's number and time); only `data` is a view that must not outlive the call.
 */
class CapturedPacket implements Packet {
  constructor(
    public number: number,
    public interfaceId: number,
    public linkType: number,
    public tsSec: number,
    public tsNsec: number,
    public capturedLength: number,
    public originalLength: number,
    public data: Uint8Array,
    public comments: string[] | undefined,
    public flags: number | undefined,
    public options: PcapngOption[] | undefined,
  ) {}
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8');

export class CaptureReader {
  private readonly sink: CaptureSink;
  private readonly maxBlockBytes: number;
  private readonly maxPcapPacketBytes: number;

  private state = State.Detect;
  private fmt: 'pcap' | 'pcapng' | undefined;
  /**
   * Absolute offset of the first byte not yet parsed: every complete block or record is behind it. While a
   * frame is parsed it is the frame's own offset, which is what error messages name.
   */
  private consumed = 0;
  private pushed = 0;
  private packetCount = 0;

  /** Bytes of an incomplete block, waiting for the next chunk. */
  private carry: Uint8Array = EMPTY;
  private carryLen = 0;

  /** Current section (pcapng) or the file (pcap). */
  private le = true;
  private sectionCount = 0;
  private ifaces: IfaceState[] = [];
  private interfaceCount = 0;
  /** pcap only: the file's snaplen, and the interface every record belongs to. */
  private pcapMaxCaplen = 0;
  private pcapIface: IfaceState | undefined;
  private pcapNanos = false;

  /** Scratch for timestamp conversion (no allocation per packet). */
  private readonly ts = { sec: 0, nsec: 0 };
  /** What the reader did that the user should know (an if_tsoffset ignored), one line each. */
  readonly notes: string[] = [];

  constructor(sink: CaptureSink, options: CaptureReaderOptions = {}) {
    this.sink = sink;
    this.maxBlockBytes = options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
    this.maxPcapPacketBytes = options.maxPcapPacketBytes ?? DEFAULT_MAX_PCAP_PACKET_BYTES;
  }

  /** 'pcap' or 'pcapng' once the first four bytes have been seen. */
  get format(): 'pcap' | 'pcapng' | undefined {
    return this.fmt;
  }

  /** Bytes of complete blocks and records parsed so far (the offset where the next one starts). */
  get bytesConsumed(): number {
    return this.consumed;
  }

  /** Bytes pushed so far. */
  get bytesPushed(): number {
    return this.pushed;
  }

  /** Frame numbers given so far: packets, plus the custom and systemd blocks Wireshark numbers too. */
  get packets(): number {
    return this.packetCount;
  }

  push(chunk: Uint8Array): void {
    const len = chunk.length;
    if (len === 0) return;
    this.pushed += len;
    let pos = 0;
    if (this.carryLen > 0) {
      pos = this.feedCarry(chunk);
      if (this.carryLen > 0) return;
    }
    pos = this.walk(chunk, pos);
    if (pos < len) this.stash(chunk, pos);
  }

  end(): void {
    if (this.pushed === 0) throw new InputError('empty input: not a pcap or pcapng file');
    if (this.carryLen === 0) return;
    const at = this.pushed;
    if (this.state === State.Detect) {
      throw new InputError(`not a pcap or pcapng file: only ${this.carryLen} byte(s) long`);
    }
    const dv = new DataView(this.carry.buffer, this.carry.byteOffset, this.carryLen);
    const size = this.frameSize(this.carry, dv, 0, this.carryLen);
    const what = this.describeFrame(dv, size);
    throw new TruncatedInputError(`capture cut short at byte ${at}: in the middle of ${what}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Framing

  /** Parses every complete frame of `buf` from `pos`; returns where the first incomplete one starts. */
  private walk(buf: Uint8Array, pos: number): number {
    const end = buf.length;
    const dv = new DataView(buf.buffer, buf.byteOffset, end);
    for (;;) {
      const avail = end - pos;
      if (avail === 0) return pos;
      const size = this.frameSize(buf, dv, pos, avail);
      if (size < 0 || size > avail) return pos;
      this.frame(buf, dv, pos, size);
      pos += size;
      this.consumed += size;
    }
  }

  /** Keeps the tail of a chunk that holds an incomplete frame. */
  private stash(chunk: Uint8Array, pos: number): void {
    const rest = chunk.length - pos;
    this.ensureCarry(rest);
    this.carry.set(chunk.subarray(pos), 0);
    this.carryLen = rest;
  }

  /**
   * Completes the frame in the carry buffer with bytes from `chunk`: as many as its header, then its length,
   * ask for. Parses it when complete (carryLen back to 0). Returns how many bytes of `chunk` were used.
   */
  private feedCarry(chunk: Uint8Array): number {
    let used = 0;
    for (;;) {
      const dv = new DataView(this.carry.buffer, this.carry.byteOffset, this.carryLen);
      const size = this.frameSize(this.carry, dv, 0, this.carryLen);
      if (size > 0 && this.carryLen >= size) {
        const frame = this.carry;
        this.carryLen = 0;
        this.frame(frame, dv, 0, size);
        this.consumed += size;
        if (frame.length > CARRY_KEEP_BYTES) this.carry = EMPTY;
        return used;
      }
      const want = size < 0 ? -size : size;
      const take = Math.min(want - this.carryLen, chunk.length - used);
      if (take <= 0) return used;
      this.ensureCarry(this.carryLen + take);
      this.carry.set(chunk.subarray(used, used + take), this.carryLen);
      this.carryLen += take;
      used += take;
    }
  }

  private ensureCarry(n: number): void {
    if (this.carry.length >= n) return;
    const next = new Uint8Array(Math.max(n, CARRY_INITIAL_BYTES, Math.min(this.carry.length * 2, this.maxBlockBytes)));
    next.set(this.carry.subarray(0, this.carryLen), 0);
    this.carry = next;
  }

  /**
   * The size of the frame starting at `pos`, from its header; or -n when at least n bytes are needed to tell.
   * Throws InputError when the header cannot be right. Detects the format on the first call.
   */
  private frameSize(buf: Uint8Array, dv: DataView, pos: number, avail: number): number {
    switch (this.state) {
      case State.Pcapng: {
        if (avail < 8) return -8;
        const type = dv.getUint32(pos, this.le);
        let le = this.le;
        if (type === BlockType.SHB) {
          if (avail < 12) return -12;
          le = this.shbByteOrder(dv, pos);
        }
        const len = dv.getUint32(pos + 4, le);
        if (len < PCAPNG_BLOCK_OVERHEAD || (len & 3) !== 0 || len > this.maxBlockBytes) {
          throw this.badLength(type, len, pos);
        }
        return len;
      }
      case State.PcapRecord: {
        if (avail < PCAP_RECORD_HEADER_BYTES) return -PCAP_RECORD_HEADER_BYTES;
        const caplen = dv.getUint32(pos + 8, this.le);
        if (caplen > this.pcapMaxCaplen) {
          throw new InputError(
            `bad pcap record at byte ${this.consumed}: captured length ${caplen} is over the file's ` +
              `snapshot length and the limit of ${this.pcapMaxCaplen} bytes`,
          );
        }
        return PCAP_RECORD_HEADER_BYTES + caplen;
      }
      case State.PcapHeader:
        return PCAP_FILE_HEADER_BYTES;
      default:
        return this.detect(buf, dv, pos, avail);
    }
  }

  /** Tells the format from the first four bytes and moves to its first state. */
  private detect(buf: Uint8Array, dv: DataView, pos: number, avail: number): number {
    if (avail < 4) return -4;
    const magic = dv.getUint32(pos, false);
    switch (magic) {
      case BlockType.SHB:
        this.fmt = 'pcapng';
        this.state = State.Pcapng;
        break;
      case PCAP_MAGIC_MICROSECONDS:
      case PCAP_MAGIC_NANOSECONDS:
      case PCAP_MAGIC_MICROSECONDS_SWAPPED:
      case PCAP_MAGIC_NANOSECONDS_SWAPPED:
        this.fmt = 'pcap';
        this.state = State.PcapHeader;
        break;
      case PCAP_MAGIC_MODIFIED:
      case PCAP_MAGIC_MODIFIED_SWAPPED:
        throw new InputError(
          "not a pcap or pcapng file: this is Kuznetzov's modified pcap, which grpctk does not read " +
            '(convert it with: editcap -F pcapng IN OUT)',
        );
      default: {
        const hex = Array.from(buf.subarray(pos, pos + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
        const hint = buf[pos] === 0x1f && buf[pos + 1] === 0x8b ? ' (gzip data: decompress it first)' : '';
        throw new InputError(`not a pcap or pcapng file: it starts with bytes ${hex}${hint}`);
      }
    }
    return this.frameSize(buf, dv, pos, avail);
  }

  private shbByteOrder(dv: DataView, pos: number): boolean {
    const bom = dv.getUint32(pos + 8, true);
    if (bom === BYTE_ORDER_MAGIC) return true;
    if (dv.getUint32(pos + 8, false) === BYTE_ORDER_MAGIC) return false;
    throw new InputError(
      `bad pcapng Section Header Block at byte ${this.consumed}: byte-order magic is ` +
        `0x${bom.toString(16).padStart(8, '0')}, expected 1a2b3c4d in either byte order`,
    );
  }

  private badLength(type: number, len: number, pos: number): InputError {
    const why =
      len < PCAPNG_BLOCK_OVERHEAD
        ? `is under the minimum of ${PCAPNG_BLOCK_OVERHEAD}`
        : (len & 3) !== 0
          ? 'is not a multiple of 4'
          : `is over the limit of ${this.maxBlockBytes} bytes (maxBlockBytes)`;
    return new InputError(
      `bad pcapng ${blockTypeName(type)} at byte ${this.consumed}: block total length ${len} ${why}`,
    );
  }

  /** "an Enhanced Packet Block of 1500 bytes (40 present)", for the truncation message. */
  private describeFrame(dv: DataView, size: number): string {
    const have = this.carryLen;
    if (size < 0) {
      const header = this.state === State.PcapRecord ? 'a pcap record header' : 'a pcapng block header';
      return `${header} (${have} of ${-size} bytes present)`;
    }
    let name: string;
    if (this.state === State.PcapHeader) name = 'the pcap file header';
    else if (this.state === State.PcapRecord) name = 'a pcap record';
    else name = `${article(blockTypeName(dv.getUint32(0, this.le)))}`;
    return `${name} of ${size} bytes (${have} present)`;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Frames

  /** Parses one complete frame of `size` bytes at `pos`. */
  private frame(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    switch (this.state) {
      case State.PcapRecord:
        this.pcapRecord(buf, dv, pos, size);
        return;
      case State.Pcapng:
        break;
      default:
        this.pcapHeader(dv, pos);
        return;
    }
    const le = this.le;
    const type = dv.getUint32(pos, le);
    if (type !== BlockType.SHB) {
      const trailing = dv.getUint32(pos + size - 4, le);
      if (trailing !== size) this.throwTrailing(type, size, trailing, pos);
    }
    switch (type) {
      case BlockType.EPB:
        this.enhancedPacket(buf, dv, pos, size);
        return;
      case BlockType.SPB:
        this.simplePacket(buf, dv, pos, size);
        return;
      case BlockType.IDB:
        this.interfaceDescription(buf, dv, pos, size);
        return;
      case BlockType.SHB:
        this.sectionHeader(buf, dv, pos, size);
        return;
      case BlockType.PB:
        this.obsoletePacket(buf, dv, pos, size);
        return;
      case BlockType.NRB:
        this.nameResolution(buf, dv, pos, size);
        return;
      case BlockType.ISB:
        this.interfaceStatistics(buf, dv, pos, size);
        return;
      case BlockType.DSB:
        this.decryptionSecrets(buf, dv, pos, size);
        return;
      case BlockType.CB_COPY:
      case BlockType.CB_NO_COPY:
      case BlockType.SYSTEMD_JOURNAL_EXPORT:
        // Not packets, but Wireshark shows each as a frame of its own: they take a number, so that every
        // packet's number is its frame.number in Wireshark.
        this.packetCount++;
        return;
      default:
        // Reserved and unknown block types: skipped by length, as section 3.1 asks of a reader that does not
        // know a block (Wireshark does not number them either).
        return;
    }
  }

  private throwTrailing(type: number, size: number, trailing: number, pos: number): never {
    throw new InputError(
      `bad pcapng ${blockTypeName(type)} at byte ${this.consumed}: trailing block total length ` +
        `${trailing} does not match the leading ${size}`,
    );
  }

  private bad(type: number, pos: number, why: string): InputError {
    return new InputError(`bad pcapng ${blockTypeName(type)} at byte ${this.consumed}: ${why}`);
  }

  // pcap ------------------------------------------------------------------------------------------------------

  private pcapHeader(dv: DataView, pos: number): void {
    const magic = dv.getUint32(pos, false);
    this.le = magic === PCAP_MAGIC_MICROSECONDS_SWAPPED || magic === PCAP_MAGIC_NANOSECONDS_SWAPPED;
    this.pcapNanos = magic === PCAP_MAGIC_NANOSECONDS || magic === PCAP_MAGIC_NANOSECONDS_SWAPPED;
    const le = this.le;
    const snapLen = dv.getUint32(pos + 16, le);
    // The low 16 bits are the link type; the upper bits carry FCS information (draft-ietf-opsawg-pcap 4).
    const linkType = dv.getUint32(pos + 20, le) & 0xffff;
    this.pcapMaxCaplen = Math.min(Math.max(snapLen, this.maxPcapPacketBytes), this.maxBlockBytes);
    const section: CaptureSection = { index: 0, format: 'pcap', littleEndian: le, options: [] };
    this.sectionCount = 1;
    this.sink.section?.(section);
    const scale = this.pcapNanos ? NANOSECONDS : MICROSECONDS;
    const info: CaptureInterface = {
      id: 0,
      sectionIndex: 0,
      localId: 0,
      linkType,
      snapLen,
      tsResolBase: 10,
      tsResolExp: scale.exp,
      tsOffset: 0,
      options: [],
    };
    this.interfaceCount = 1;
    this.pcapIface = { info, scale, offset: 0 };
    this.sink.interface?.(info);
    this.state = State.PcapRecord;
  }

  private pcapRecord(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    const le = this.le;
    let sec = dv.getUint32(pos, le);
    let frac = dv.getUint32(pos + 4, le);
    const caplen = size - PCAP_RECORD_HEADER_BYTES;
    const origlen = dv.getUint32(pos + 12, le);
    let nsec: number;
    if (this.pcapNanos) {
      if (frac >= 1e9) {
        sec += Math.floor(frac / 1e9);
        frac %= 1e9;
      }
      nsec = frac;
    } else {
      if (frac >= 1e6) {
        sec += Math.floor(frac / 1e6);
        frac %= 1e6;
      }
      nsec = frac * 1000;
    }
    const start = pos + PCAP_RECORD_HEADER_BYTES;
    const iface = this.pcapIface!;
    this.sink.packet(
      new CapturedPacket(
        ++this.packetCount,
        0,
        iface.info.linkType,
        sec,
        nsec,
        caplen,
        origlen,
        buf.subarray(start, start + caplen),
        undefined,
        undefined,
        undefined,
      ),
    );
  }

  // pcapng ----------------------------------------------------------------------------------------------------

  private enhancedPacket(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    // Interface ID, Timestamp (upper, lower), Captured Packet Length, Original Packet Length (section 4.3).
    this.packetBlock(buf, dv, pos, size, BlockType.EPB, dv.getUint32(pos + 8, this.le));
  }

  /**
   * EPB and the obsolete Packet Block share their layout after the interface id: timestamp (upper, lower),
   * captured and original lengths, data, options; the PB's id is 16 bits, followed by a drops count.
   * Option 2 is epb_flags in one and pack_flags in the other: the same 32-bit link-layer flags word.
   */
  private packetBlock(buf: Uint8Array, dv: DataView, pos: number, size: number, type: number, localId: number): void {
    const le = this.le;
    if (size < 32) throw this.bad(type, pos, `block total length ${size} is under the minimum of 32`);
    const caplen = dv.getUint32(pos + 20, le);
    const padded = (caplen + 3) & ~3;
    if (caplen > size - 32 || padded > size - 32) {
      throw this.bad(type, pos, `captured length ${caplen} does not fit in a block of ${size} bytes`);
    }
    const iface = this.ifaces[localId];
    if (iface === undefined) throw this.noInterface(type, pos, localId);
    ticksToTime(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), iface.scale, this.ts);
    const start = pos + 28;
    const optStart = start + padded;
    const optEnd = pos + size - 4;
    let comments: string[] | undefined;
    let flags: number | undefined;
    let options: PcapngOption[] | undefined;
    if (optEnd - optStart >= 4) {
      options = this.options(buf, dv, optStart, optEnd, type, pos);
      for (const o of options) {
        if (o.code === OptionCode.COMMENT) (comments ??= []).push(text(o.value));
        else if (o.code === EpbOption.FLAGS && o.value.length >= 4) {
          flags = new DataView(o.value.buffer, o.value.byteOffset, 4).getUint32(0, true);
        }
      }
      if (options.length === 0) options = undefined;
    }
    this.sink.packet(
      new CapturedPacket(
        ++this.packetCount,
        iface.info.id,
        iface.info.linkType,
        this.ts.sec + iface.offset,
        this.ts.nsec,
        caplen,
        dv.getUint32(pos + 24, le),
        buf.subarray(start, start + caplen),
        comments,
        flags,
        options,
      ),
    );
  }

  private simplePacket(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    // Original Packet Length, then the data: its captured length is min(original, snaplen) (section 4.4).
    if (size < 16) throw this.bad(BlockType.SPB, pos, `block total length ${size} is under the minimum of 16`);
    const origlen = dv.getUint32(pos + 8, this.le);
    const iface = this.ifaces[0];
    const room = size - 16;
    let caplen = origlen;
    if (iface !== undefined && iface.info.snapLen !== 0 && iface.info.snapLen < caplen) caplen = iface.info.snapLen;
    if (caplen > room) {
      if (iface === undefined) caplen = room;
      else throw this.bad(BlockType.SPB, pos, `captured length ${caplen} does not fit in a block of ${size} bytes`);
    }
    const start = pos + 12;
    // No timestamp in an SPB: Wireshark shows 0 as well.
    this.sink.packet(
      new CapturedPacket(
        ++this.packetCount,
        iface ? iface.info.id : -1,
        iface ? iface.info.linkType : -1,
        0,
        0,
        caplen,
        origlen,
        buf.subarray(start, start + caplen),
        undefined,
        undefined,
        undefined,
      ),
    );
  }

  private obsoletePacket(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    // Interface ID (16), Drops Count (16), then as an EPB (Appendix A).
    this.packetBlock(buf, dv, pos, size, BlockType.PB, dv.getUint16(pos + 8, this.le));
  }

  private noInterface(type: number, pos: number, localId: number): InputError {
    return this.bad(
      type,
      pos,
      `interface ${localId} is not described in this section (${this.ifaces.length} Interface Description Block(s) so far)`,
    );
  }

  private sectionHeader(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    const le = this.shbByteOrder(dv, pos);
    if (size < PCAPNG_SHB_MIN_BYTES) {
      throw this.bad(BlockType.SHB, pos, `block total length ${size} is under the minimum of ${PCAPNG_SHB_MIN_BYTES}`);
    }
    const trailing = dv.getUint32(pos + size - 4, le);
    if (trailing !== size) this.throwTrailing(BlockType.SHB, size, trailing, pos);
    const major = dv.getUint16(pos + 12, le);
    const minor = dv.getUint16(pos + 14, le);
    if (major !== 1) throw this.bad(BlockType.SHB, pos, `version ${major}.${minor} is not 1.x`);
    this.le = le;
    this.ifaces = [];
    const options = this.options(buf, dv, pos + 24, pos + size - 4, BlockType.SHB, pos);
    const section: CaptureSection = { index: this.sectionCount++, format: 'pcapng', littleEndian: le, options };
    for (const o of options) {
      switch (o.code) {
        case OptionCode.COMMENT:
          (section.comments ??= []).push(text(o.value));
          break;
        case ShbOption.HARDWARE:
          section.hardware = text(o.value);
          break;
        case ShbOption.OS:
          section.os = text(o.value);
          break;
        case ShbOption.USERAPPL:
          section.userAppl = text(o.value);
          break;
      }
    }
    this.sink.section?.(section);
  }

  private interfaceDescription(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    const le = this.le;
    // LinkType (16), Reserved (16), SnapLen (32), options (section 4.2).
    if (size < 20) throw this.bad(BlockType.IDB, pos, `block total length ${size} is under the minimum of 20`);
    const options = this.options(buf, dv, pos + 16, pos + size - 4, BlockType.IDB, pos);
    const info: CaptureInterface = {
      id: this.interfaceCount++,
      sectionIndex: this.sectionCount - 1,
      localId: this.ifaces.length,
      linkType: dv.getUint16(pos + 8, le),
      snapLen: dv.getUint32(pos + 12, le),
      tsResolBase: 10,
      tsResolExp: 6,
      tsOffset: 0,
      options,
    };
    let scale = MICROSECONDS;
    for (const o of options) {
      const v = o.value;
      switch (o.code) {
        case IdbOption.NAME:
          info.name = text(v);
          break;
        case IdbOption.DESCRIPTION:
          info.description = text(v);
          break;
        case IdbOption.OS:
          info.os = text(v);
          break;
        case IdbOption.FILTER:
          if (v.length >= 1 && v[0] === IF_FILTER_LIBPCAP_STRING) info.filter = text(v.subarray(1));
          break;
        case IdbOption.TSRESOL:
          if (v.length >= 1) {
            try {
              scale = scaleFromTsresol(v[0]);
            } catch (err) {
              throw this.bad(BlockType.IDB, pos, (err as Error).message);
            }
            info.tsResolBase = scale.base;
            info.tsResolExp = scale.exp;
          }
          break;
        case IdbOption.TSOFFSET:
          if (v.length >= 8) {
            info.tsOffset = Number(new DataView(v.buffer, v.byteOffset, 8).getBigInt64(0, true));
          }
          break;
      }
    }
    // An offset that puts every packet outside the dates a computer can name (a crafted -2^62) would also
    // lose their precision (seconds past 2^53) and turn every duration into 0: it is left out, and said.
    let offset = info.tsOffset;
    if (Math.abs(offset) > MAX_TS_OFFSET_SEC) {
      this.notes.push(
        `interface ${this.ifaces.length}: if_tsoffset of ${offset} s is past ±${MAX_TS_OFFSET_SEC} s (year 275760); ignored, its timestamps are shown without it`,
      );
      offset = 0;
    }
    this.ifaces.push({ info, scale, offset });
    this.sink.interface?.(info);
  }

  private nameResolution(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    const le = this.le;
    const end = pos + size - 4;
    let p = pos + 8;
    const entries: { type: number; address: Uint8Array; names: string[] }[] = [];
    for (;;) {
      // A block that ends without nrb_record_end is tolerated: its records are all there.
      if (end - p < 4) break;
      const type = dv.getUint16(p, le);
      const len = dv.getUint16(p + 2, le);
      p += 4;
      if (type === NrbRecord.END) break;
      if (p + len > end) {
        throw this.bad(BlockType.NRB, pos, `record of ${len} bytes at byte ${this.consumed + (p - 4 - pos)} runs past the block`);
      }
      const addrLen =
        type === NrbRecord.IPV4 ? 4 : type === NrbRecord.IPV6 ? 16 : type === NrbRecord.EUI48 ? 6 : type === NrbRecord.EUI64 ? 8 : -1;
      if (addrLen > 0 && len >= addrLen) {
        const address = buf.slice(p, p + addrLen);
        const names: string[] = [];
        let s = p + addrLen;
        const stop = p + len;
        while (s < stop) {
          let z = s;
          while (z < stop && buf[z] !== 0) z++;
          if (z > s) names.push(text(buf.subarray(s, z)));
          s = z + 1;
        }
        entries.push({ type, address, names });
      }
      p += (len + 3) & ~3;
    }
    if (entries.length > 0) this.sink.names?.(entries);
  }

  private interfaceStatistics(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    const le = this.le;
    // Interface ID, Timestamp (upper, lower), options (section 4.6).
    if (size < 24) throw this.bad(BlockType.ISB, pos, `block total length ${size} is under the minimum of 24`);
    const localId = dv.getUint32(pos + 8, le);
    const iface = this.ifaces[localId];
    if (iface === undefined) throw this.noInterface(BlockType.ISB, pos, localId);
    ticksToTime(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), iface.scale, this.ts);
    const options = this.options(buf, dv, pos + 20, pos + size - 4, BlockType.ISB, pos);
    const stats: InterfaceStatistics = {
      interfaceId: iface.info.id,
      tsSec: this.ts.sec + iface.offset,
      tsNsec: this.ts.nsec,
      options,
    };
    for (const o of options) {
      if (o.value.length < 8) continue;
      if (o.code === IsbOption.IFRECV) stats.received = u64(o.value);
      else if (o.code === IsbOption.IFDROP) stats.dropped = u64(o.value);
    }
    this.sink.statistics?.(stats);
  }

  private decryptionSecrets(buf: Uint8Array, dv: DataView, pos: number, size: number): void {
    const le = this.le;
    // Secrets Type, Secrets Length, Secrets Data (padded), options (section 4.8).
    if (size < 20) throw this.bad(BlockType.DSB, pos, `block total length ${size} is under the minimum of 20`);
    const secretsType = dv.getUint32(pos + 8, le);
    const length = dv.getUint32(pos + 12, le);
    if (length > size - 20) {
      throw this.bad(BlockType.DSB, pos, `secrets length ${length} does not fit in a block of ${size} bytes`);
    }
    this.sink.secrets?.({ secretsType, data: buf.slice(pos + 16, pos + 16 + length) });
  }

  /**
   * The options between `p` and `end` (section 3.5): code, length, value padded to 32 bits, until
   * opt_endofopt or the end of the block. Values are copies (they may be kept). Numeric values of a
   * big-endian section are turned little-endian (see toLittleEndian), so every option reads, and copies into
   * the (little-endian) writer, the same way whatever the section's byte order.
   */
  private options(buf: Uint8Array, dv: DataView, p: number, end: number, type: number, pos: number): PcapngOption[] {
    const out: PcapngOption[] = [];
    const le = this.le;
    // Fewer than 4 bytes left cannot hold an option: tolerated, as Wireshark does.
    while (end - p >= 4) {
      const code = dv.getUint16(p, le);
      const len = dv.getUint16(p + 2, le);
      if (code === OptionCode.ENDOFOPT) break;
      p += 4;
      if (len > end - p) {
        throw this.bad(type, pos, `option ${code} of ${len} bytes at byte ${this.consumed + (p - 4 - pos)} runs past the block`);
      }
      const value = buf.slice(p, p + len);
      if (!le) toLittleEndian(type, code, value);
      out.push({ code, value });
      p += (len + 3) & ~3;
    }
    return out;
  }
}

/** An option's UTF-8 text; a trailing NUL, which some writers add, is not part of it. */
function text(v: Uint8Array): string {
  let n = v.length;
  while (n > 0 && v[n - 1] === 0) n--;
  return utf8.decode(v.subarray(0, n));
}

function article(name: string): string {
  return (/^[AEIOU]/i.test(name) ? 'an ' : 'a ') + name;
}

function u64(v: Uint8Array): number {
  return Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true));
}

/**
 * Byte-swaps, in place, the numeric option values of a big-endian section: the fixed-size integers each block
 * type defines (sections 4.2, 4.3, 4.6) and the Private Enterprise Number of custom options (section 3.5.1).
 * Addresses, strings and hashes are byte strings and stay as they are; unknown options are left alone.
 */
function toLittleEndian(type: number, code: number, v: Uint8Array): void {
  if (code === OptionCode.CUSTOM_STR_COPY || code === OptionCode.CUSTOM_BIN_COPY ||
      code === OptionCode.CUSTOM_STR_NO_COPY || code === OptionCode.CUSTOM_BIN_NO_COPY) {
    swap(v, 0, 4);
    return;
  }
  switch (type) {
    case BlockType.IDB:
      switch (code) {
        case IdbOption.SPEED:
        case IdbOption.TSOFFSET:
        case IdbOption.TXSPEED:
        case IdbOption.RXSPEED:
          swap(v, 0, 8);
          return;
        case IdbOption.TZONE:
          swap(v, 0, 4);
          return;
      }
      return;
    case BlockType.EPB:
    case BlockType.PB:
      switch (code) {
        case EpbOption.FLAGS:
        case EpbOption.QUEUE:
          swap(v, 0, 4);
          return;
        case EpbOption.DROPCOUNT:
        case EpbOption.PACKETID:
          swap(v, 0, 8);
          return;
      }
      return;
    case BlockType.ISB:
      switch (code) {
        case IsbOption.STARTTIME:
        case IsbOption.ENDTIME:
          // Two 32-bit halves, upper first, like a packet's timestamp.
          swap(v, 0, 4);
          swap(v, 4, 4);
          return;
        case IsbOption.IFRECV:
        case IsbOption.IFDROP:
        case IsbOption.FILTERACCEPT:
        case IsbOption.OSDROP:
        case IsbOption.USRDELIV:
          swap(v, 0, 8);
          return;
      }
      return;
  }
}

function swap(v: Uint8Array, at: number, n: number): void {
  if (v.length < at + n) return;
  for (let i = at, j = at + n - 1; i < j; i++, j--) {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}
