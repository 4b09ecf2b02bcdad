/**
 * The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): one bounds-checked reader
 * shared by the schema decoder (json.ts), the schema-less decoder (raw.ts) and google.rpc.Status decoding.
 *
 * Every read checks its bounds in one place and throws `WireError` naming what was expected and at which
 * offset; callers turn that into a record's `error`, never a stack trace.
 */

/** Wire types, as named in the encoding guide's table ("Message Structure"). */
export const enum WireType {
  VARINT = 0,
  I64 = 1,
  LEN = 2,
  /** SGROUP/EGROUP: proto2 groups (deprecated), delimited by start and end tags. */
  SGROUP = 3,
  EGROUP = 4,
  I32 = 5,
}

/** Largest field number (2^29 - 1), from the language guide's "Assigning Field Numbers". */
export const MAX_FIELD_NUMBER = 0x1fffffff;

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

const TWO_32 = 4294967296;

/**
 * A cursor over `buf[pos, end)`. 64-bit values are read as two unsigned 32-bit halves (`lo`, `hi`) so the
 * common small varint costs no BigInt; `bigUnsigned()`/`bigSigned()` build the exact value when needed.
 */
export class WireReader {
  pos: number;
  /** Halves of the last varint or fixed64 read. */
  lo = 0;
  hi = 0;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  private truncated(what: string): WireError {
    return new WireError(`truncated ${what} at offset ${this.pos}`);
  }

  /** Reads a varint of up to 10 bytes into lo/hi. */
  varint(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw this.truncated('varint');
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        this.pos = pos;
        return;
      }
    }
    if (pos >= end) throw this.truncated('varint');
    b = buf[pos++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) throw new WireError(`varint longer than 10 bytes at offset ${this.pos}`);
        if (pos >= end) throw this.truncated('varint');
        b = buf[pos++];
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    this.pos = pos;
  }

  /** A varint as a number when it is below 2^53, else -1 (read `bigUnsigned()` then). */
  varintSafe(): number {
    this.varint();
    return this.hi < 0x200000 ? this.hi * TWO_32 + this.lo : -1;
  }

  /** A varint truncated to its low 32 bits, as protobuf does for int32/uint32/enum fields. */
  varint32(): number {
    this.varint();
    return this.lo;
  }

  fixed32(): number {
    if (this.end - this.pos < 4) throw this.truncated('fixed32');
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Reads 8 bytes into lo/hi. */
  fixed64(): void {
    if (this.end - this.pos < 8) throw this.truncated('fixed64');
    this.lo = this.fixed32();
    this.hi = this.fixed32();
  }

  float(): number {
    if (this.end - this.pos < 4) throw this.truncated('float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.end - this.pos < 8) throw this.truncated('double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix; checks that the bytes it announces are there. Returns the payload's end offset. */
  lengthDelimited(): number {
    const start = this.pos;
    const len = this.varintSafe();
    if (len < 0 || len > this.end - this.pos) {
      this.pos = start;
      throw new WireError(
        `length ${len < 0 ? this.bigUnsigned().toString() : len} at offset ${start} runs past the end (${
          this.end - start
        } bytes left)`,
      );
    }
    return this.pos + len;
  }

  /** Zero-copy view of a length-delimited payload. */
  bytes(): Uint8Array {
    const end = this.lengthDelimited();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  /** A tag: [fieldNumber, wireType]. Field number 0 and wire types 6 and 7 are errors. */
  tag(): number {
    const at = this.pos;
    this.varint();
    const fieldNumber = this.hi === 0 ? this.lo >>> 3 : 0;
    const wireType = this.lo & 7;
    if (this.hi !== 0 || fieldNumber === 0 || wireType > 5) {
      this.pos = at;
      throw new WireError(`invalid tag at offset ${at}`);
    }
    return this.lo;
  }

  /** Skips the value of a field whose tag has been read; groups are skipped to their matching end tag. */
  skip(wireType: number, fieldNumber: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.I64:
        this.fixed64();
        return;
      case WireType.LEN:
        this.pos = this.lengthDelimited();
        return;
      case WireType.I32:
        this.fixed32();
        return;
      case WireType.SGROUP: {
        // Iterative, so that deeply nested groups cannot overflow the stack.
        const open = [fieldNumber];
        while (open.length > 0) {
          if (this.eof()) throw this.truncated('group');
          const t = this.tag();
          const wt = t & 7;
          if (wt === WireType.EGROUP) {
            if (t >>> 3 !== open.pop()) throw new WireError(`unmatched end group at offset ${this.pos}`);
          } else if (wt === WireType.SGROUP) open.push(t >>> 3);
          else this.skip(wt, t >>> 3);
        }
        return;
      }
      default:
        throw new WireError(`unexpected end group at offset ${this.pos}`);
    }
  }

  /** The last varint or fixed64 as an unsigned 64-bit integer. */
  bigUnsigned(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The last varint or fixed64 as a two's complement signed 64-bit integer. */
  bigSigned(): bigint {
    return BigInt.asIntN(64, this.bigUnsigned());
  }

  /** The last varint as zigzag-decoded signed 64-bit integer (sint64). */
  bigZigzag(): bigint {
    const u = this.bigUnsigned();
    return (u >> 1n) ^ -(u & 1n);
  }
}
