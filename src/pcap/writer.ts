/**
 * The pcapng writer (contract in ./writer-api.ts): one little-endian section, its interfaces, Enhanced Packet
 * Blocks and Interface Statistics Blocks, handed to `out` one finished block at a time. The Section Header
 * Block is emitted by the constructor, so even a capture with no packet is a valid file.
 *
 * Timestamps are encoded in each interface's own if_tsresol (nanoseconds unless told otherwise), and
 * if_tsoffset, when an interface carries one, is taken back out: what ./reader.ts reads from the written file
 * is exactly what was written, to the nanosecond.
 */
import {
  BlockType,
  BYTE_ORDER_MAGIC,
  EpbOption,
  IF_FILTER_LIBPCAP_STRING,
  IdbOption,
  IsbOption,
  OptionCode,
  ShbOption,
} from './constants';
import { NANOSECONDS, TickScale, makeScale, scaleFromTsresol, timeToTicks } from './timestamp';
import type { CaptureInterface, CaptureSection, PcapngOption } from './types';
import type { WriterInterface, WriterPacket, WriterSection, WriterStatistics } from './writer-api';

const utf8 = new TextEncoder();

interface WrittenInterface {
  scale: TickScale;
  /** if_tsoffset of the interface, seconds: subtracted from every timestamp written for it. */
  offset: number;
}

export class PcapngWriter {
  private readonly out: (bytes: Uint8Array) => void;
  private readonly ifaces: WrittenInterface[] = [];
  private readonly ticks = { hi: 0, lo: 0 };
  private written = 0;
  private packetCount = 0;

  constructor(out: (bytes: Uint8Array) => void, section: WriterSection = {}) {
    this.out = out;
    const options: PcapngOption[] = [];
    for (const c of section.comments ?? []) options.push(textOption(OptionCode.COMMENT, c));
    if (section.hardware !== undefined) options.push(textOption(ShbOption.HARDWARE, section.hardware));
    if (section.os !== undefined) options.push(textOption(ShbOption.OS, section.os));
    if (section.userAppl !== undefined) options.push(textOption(ShbOption.USERAPPL, section.userAppl));
    // Byte-Order Magic, Major 1, Minor 0, Section Length -1: "not specified", since we stream (section 4.1).
    const block = newBlock(BlockType.SHB, 16, options);
    const dv = block.view;
    dv.setUint32(8, BYTE_ORDER_MAGIC, true);
    dv.setUint16(12, 1, true);
    dv.setUint16(14, 0, true);
    dv.setInt32(16, -1, true);
    dv.setInt32(20, -1, true);
    this.emit(block.bytes);
  }

  /** Bytes handed to `out` so far. */
  get bytesWritten(): number {
    return this.written;
  }

  /** Packets written so far. */
  get packets(): number {
    return this.packetCount;
  }

  /**
   * Writes an Interface Description Block; returns the id to give writePacket. The options are copied as they
   * are, except if_tsresol, which is written once with the resolution the timestamps are encoded in:
   * `tsResolBase/tsResolExp` when given, else the copied if_tsresol, else nanoseconds (left out when it is
   * the default, microseconds, and the options did not carry one).
   */
  addInterface(iface: WriterInterface): number {
    const source = (iface.options ?? []).filter((o) => o.code !== OptionCode.ENDOFOPT);
    let scale = NANOSECONDS;
    const copied = source.find((o) => o.code === IdbOption.TSRESOL && o.value.length >= 1);
    if (iface.tsResolBase !== undefined || iface.tsResolExp !== undefined) {
      scale = makeScale(iface.tsResolBase ?? 10, iface.tsResolExp ?? 9);
    } else if (copied) {
      scale = scaleFromTsresol(copied.value[0]);
    }
    const resol: PcapngOption = {
      code: IdbOption.TSRESOL,
      value: Uint8Array.of(scale.base === 2 ? 0x80 | scale.exp : scale.exp),
    };
    const options: PcapngOption[] = [];
    let resolWritten = false;
    for (const o of source) {
      if (o.code === IdbOption.TSRESOL) {
        // Microseconds are the default (section 4.2): an interface that did not say so is not made to.
    if (!resolWritten && !(scale.base === 10 && scale.exp === 6)) options.push(resol);
        resolWritten = true;
      } else {
        options.push(o);
      }
    }
    const has = (code: number) => options.some((o) => o.code === code);
    if (iface.name !== undefined && !has(IdbOption.NAME)) options.push(textOption(IdbOption.NAME, iface.name));
    if (iface.description !== undefined && !has(IdbOption.DESCRIPTION)) {
      options.push(textOption(IdbOption.DESCRIPTION, iface.description));
    }
    if (iface.filter !== undefined && !has(IdbOption.FILTER)) {
      const f = utf8.encode(iface.filter);
      const value = new Uint8Array(f.length + 1);
      value[0] = IF_FILTER_LIBPCAP_STRING;
      value.set(f, 1);
      options.push({ code: IdbOption.FILTER, value });
    }
    if (iface.os !== undefined && !has(IdbOption.OS)) options.push(textOption(IdbOption.OS, iface.os));
    // Microseconds are the default (section 4.2): an interface that did not say so is not made to.
    if (!resolWritten && !(scale.base === 10 && scale.exp === 6)) options.push(resol);

    let offset = 0;
    const tso = options.find((o) => o.code === IdbOption.TSOFFSET && o.value.length >= 8);
    if (tso) offset = Number(new DataView(tso.value.buffer, tso.value.byteOffset, 8).getBigInt64(0, true));

    // LinkType (16), Reserved (16), SnapLen (32) (section 4.2).
    const block = newBlock(BlockType.IDB, 8, options);
    block.view.setUint16(8, iface.linkType, true);
    block.view.setUint32(12, iface.snapLen >>> 0, true);
    this.emit(block.bytes);
    this.ifaces.push({ scale, offset });
    return this.ifaces.length - 1;
  }

  /** Writes an Enhanced Packet Block for the interface `interfaceId` returned by addInterface. */
  writePacket(interfaceId: number, p: WriterPacket): void {
    const iface = this.iface(interfaceId);
    let options: PcapngOption[] | undefined;
    if (p.options !== undefined) {
      options = p.options.filter((o) => o.code !== OptionCode.ENDOFOPT);
    } else if (p.comments !== undefined || p.flags !== undefined) {
      options = [];
      for (const c of p.comments ?? []) options.push(textOption(OptionCode.COMMENT, c));
      if (p.flags !== undefined) {
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, p.flags >>> 0, true);
        options.push({ code: EpbOption.FLAGS, value });
      }
    }
    const data = p.data;
    const caplen = data.length;
    // Interface ID, Timestamp (upper, lower), Captured Packet Length, Original Packet Length (section 4.3).
    const block = newBlock(BlockType.EPB, 20 + ((caplen + 3) & ~3), options);
    const dv = block.view;
    timeToTicks(p.tsSec - iface.offset, p.tsNsec, iface.scale, this.ticks);
    dv.setUint32(8, interfaceId, true);
    dv.setUint32(12, this.ticks.hi, true);
    dv.setUint32(16, this.ticks.lo, true);
    dv.setUint32(20, caplen, true);
    dv.setUint32(24, p.originalLength >>> 0, true);
    block.bytes.set(data, 28);
    this.packetCount++;
    this.emit(block.bytes);
  }

  /** Writes an Interface Statistics Block (isb_ifrecv, isb_ifdrop when given). */
  writeStatistics(interfaceId: number, s: WriterStatistics): void {
    const iface = this.iface(interfaceId);
    const options: PcapngOption[] = [];
    if (s.received !== undefined) options.push(u64Option(IsbOption.IFRECV, s.received));
    if (s.dropped !== undefined) options.push(u64Option(IsbOption.IFDROP, s.dropped));
    // Interface ID, Timestamp (upper, lower) (section 4.6).
    const block = newBlock(BlockType.ISB, 12, options);
    timeToTicks(s.tsSec - iface.offset, s.tsNsec, iface.scale, this.ticks);
    block.view.setUint32(8, interfaceId, true);
    block.view.setUint32(12, this.ticks.hi, true);
    block.view.setUint32(16, this.ticks.lo, true);
    this.emit(block.bytes);
  }

  /**
   * Writes a Decryption Secrets Block (section 4.8): `secretsType` (DSB_SECRETS_TYPE_TLS for NSS key log
   * lines) and the secrets as they are. Readers apply it to the packets that follow it.
   */
  writeSecrets(secretsType: number, data: Uint8Array): void {
    // Secrets Type, Secrets Length, Secrets Data padded to 32 bits.
    const block = newBlock(BlockType.DSB, 8 + ((data.length + 3) & ~3), undefined);
    block.view.setUint32(8, secretsType >>> 0, true);
    block.view.setUint32(12, data.length, true);
    block.bytes.set(data, 16);
    this.emit(block.bytes);
  }

  private iface(interfaceId: number): WrittenInterface {
    const iface = this.ifaces[interfaceId];
    if (iface === undefined) {
      throw new RangeError(`pcapng writer: interface ${interfaceId} was not added (${this.ifaces.length} so far)`);
    }
    return iface;
  }

  private emit(bytes: Uint8Array): void {
    this.written += bytes.length;
    this.out(bytes);
  }
}

/**
 * The writer's view of an interface read from a capture: every original option (if_name, if_filter,
 * if_tsresol, if_tsoffset…) and the same resolution, so a read → write → read round trip keeps interfaces and
 * timestamps identical.
 */
export function interfaceFromCapture(iface: CaptureInterface): WriterInterface {
  return {
    linkType: iface.linkType,
    snapLen: iface.snapLen,
    options: iface.options.map((o) => ({ code: o.code, value: o.value })),
    tsResolBase: iface.tsResolBase,
    tsResolExp: iface.tsResolExp,
  };
}

/** The writer's view of a section read from a capture: its comments and hardware/os/application strings. */
export function sectionFromCapture(section: CaptureSection): WriterSection {
  const out: WriterSection = {};
  if (section.comments) out.comments = [...section.comments];
  if (section.hardware !== undefined) out.hardware = section.hardware;
  if (section.os !== undefined) out.os = section.os;
  if (section.userAppl !== undefined) out.userAppl = section.userAppl;
  return out;
}

// -------------------------------------------------------------------------------------------------------------

function textOption(code: number, s: string): PcapngOption {
  return { code, value: utf8.encode(s) };
}

function u64Option(code: number, n: number): PcapngOption {
  const value = new Uint8Array(8);
  new DataView(value.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(n))), true);
  return { code, value };
}

/**
 * A block of `type` with `body` bytes after the 8-byte header (fixed fields and padded data), then `options`
 * (with opt_endofopt when there are any), then the trailing Block Total Length (section 3.1). Options are
 * written here; the caller fills the body.
 */
function newBlock(type: number, body: number, options: PcapngOption[] | undefined): { bytes: Uint8Array; view: DataView } {
  let optBytes = 0;
  if (options !== undefined && options.length > 0) {
    for (const o of options) optBytes += 4 + ((o.value.length + 3) & ~3);
    optBytes += 4;
  }
  const total = 8 + body + optBytes + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  if (optBytes > 0) {
    let p = 8 + body;
    for (const o of options!) {
      if (o.value.length > 0xffff) throw new RangeError(`pcapng option ${o.code} is longer than 65535 bytes`);
      view.setUint16(p, o.code, true);
      view.setUint16(p + 2, o.value.length, true);
      bytes.set(o.value, p + 4);
      p += 4 + ((o.value.length + 3) & ~3);
    }
    // opt_endofopt: code 0, length 0 (already zero).
  }
  view.setUint32(total - 4, total, true);
  return { bytes, view };
}
