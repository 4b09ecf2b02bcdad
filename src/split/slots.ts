/**
 * What the first pass of a keyed split learns about each packet, kept on disk for the second pass: one
 * fixed-size record ("slot") per packet, in packet order. Memory stays bounded whatever the capture's size:
 * the slots go to a temporary file through a small buffer and come back the same way.
 */
import * as fs from 'fs';
import { InputError } from '../errors';
import { PartWriteError } from './parts';

/** Where a packet goes, as decided by the first pass. */
export const enum SlotKind {
  /** Not a TCP segment (or an IP fragment before the last): the non-TCP part. */
  NON_TCP = 0,
  /** A packet of a TCP connection (splits by connection, server, client). */
  TCP = 1,
  /** `--by method`: needed to decode every method of its connection (handshake, HTTP/2 framing, HPACK). */
  SHARED = 2,
  /** `--by method`: lies inside a frame of one stream, whose method is `method`. */
  METHOD = 3,
  /** `--by method`: needed by no method (pure ACK, retransmission, a stream of unknown method). */
  OTHER = 4,
}

export interface Slot {
  kind: SlotKind;
  /** TCP connection index (Wireshark's tcp.stream), or -1. */
  conn: number;
  /** 0: sent by the connection's endpoints[0]; 1: by endpoints[1]. */
  dir: number;
  /** Method id (METHOD), else -1. */
  method: number;
}

/** Bytes per slot: connection + 1 (u32), kind (u8), direction (u8), reserved (u16), method + 1 (u32). */
export const SLOT_BYTES = 12;

/** Slots buffered before a write or read (64 KiB worth). */
const SLOTS_PER_CHUNK = 5461;

export class SlotWriter {
  private readonly buf = Buffer.alloc(SLOTS_PER_CHUNK * SLOT_BYTES);
  private used = 0;
  count = 0;

  constructor(private readonly fd: number, private readonly file: string) {}

  add(kind: SlotKind, conn: number, dir: number, method: number): void {
    const b = this.buf;
    const o = this.used;
    b.writeUInt32LE(conn + 1, o);
    b[o + 4] = kind;
    b[o + 5] = dir;
    b.writeUInt16LE(0, o + 6);
    b.writeUInt32LE(method + 1, o + 8);
    this.used += SLOT_BYTES;
    this.count++;
    if (this.used === b.length) this.flush();
  }

  flush(): void {
    try {
      let off = 0;
      while (off < this.used) off += fs.writeSync(this.fd, this.buf, off, this.used - off);
    } catch (err) {
      throw new PartWriteError(`cannot write the temporary file ${this.file}: ${(err as Error).message}`);
    }
    this.used = 0;
  }
}

export class SlotReader {
  private readonly buf = Buffer.alloc(SLOTS_PER_CHUNK * SLOT_BYTES);
  private len = 0;
  private pos = 0;
  private filePos = 0;
  private readonly slot: Slot = { kind: SlotKind.NON_TCP, conn: -1, dir: 0, method: -1 };
  read = 0;

  constructor(private readonly fd: number, readonly total: number) {}

  /** The next packet's slot (the same object each time: read it before the next call). */
  next(): Slot {
    if (this.read >= this.total) {
      throw new InputError('the input has more packets on the second reading than on the first (was it changed while split ran?)');
    }
    if (this.pos === this.len) {
      this.len = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.filePos);
      this.filePos += this.len;
      this.pos = 0;
      if (this.len < SLOT_BYTES) throw new InputError('split: temporary slot file ended early');
    }
    const b = this.buf;
    const o = this.pos;
    const s = this.slot;
    s.conn = b.readUInt32LE(o) - 1;
    s.kind = b[o + 4] as SlotKind;
    s.dir = b[o + 5];
    s.method = b.readUInt32LE(o + 8) - 1;
    this.pos += SLOT_BYTES;
    this.read++;
    return s;
  }
}
