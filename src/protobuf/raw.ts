/**
 * Schema-less decoding, like `protoc --decode_raw`: a message as an object keyed by field number.
 *
 * - varint: a number, or a decimal string when above 2^53 - 1 (negative int64s therefore show as their
 *   unsigned 64-bit value, as protoc prints them);
 * - fixed32: a number; fixed64: a number, or a string above 2^53 - 1;
 * - length-delimited: a nested message when the bytes parse completely as one, else a string when they are
 *   printable UTF-8 (no control characters but tab, CR, LF), else bytes as standard padded base64; an empty
 *   payload is "";
 * - groups (wire types 3/4): a nested object of the fields between the start and end tags;
 * - a field number seen more than once: an array of its values in wire order.
 *
 * Never throws. Nesting is bounded by `maxDepth` (default 100, protobuf's own default recursion limit):
 * payloads deeper than that are shown as bytes, so a 3,000-deep message costs at most maxDepth scans of its
 * bytes and no deep recursion. When the top-level bytes are not a valid message, the fields decoded before
 * the fault are returned with `error` saying where it was.
 */
import { WireError, WireReader, WireType } from './wire';

export const DEFAULT_RAW_MAX_DEPTH = 100;

export interface RawDecode {
  body: Record<string, unknown>;
  error: string | null;
}

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** C0 controls other than tab, LF, CR, and DEL: their presence means "bytes", not text. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

export function decodeRaw(bytes: Uint8Array, maxDepth: number = DEFAULT_RAW_MAX_DEPTH): RawDecode {
  const out: Record<string, unknown> = {};
  const r = new WireReader(bytes);
  try {
    readFields(r, 0, out, 1, maxDepth);
    return { body: out, error: null };
  } catch (e) {
    if (e instanceof WireError) return { body: out, error: e.message };
    return { body: out, error: String(e) };
  }
}

/** Base64 (standard, padded) of a view without copying it. */
export function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function put(obj: Record<string, unknown>, key: number, value: unknown): void {
  // Values are never arrays themselves, so an array here always means a repeated field number.
  const prev = obj[key];
  if (prev === undefined) obj[key] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else obj[key] = [prev, value];
}

/**
 * Reads fields into `out` until the reader's end, or until the end tag of group `group` (0: none).
 * `depth` is the nesting level of `out` (1 for the top-level message). Throws WireError.
 */
function readFields(r: WireReader, group: number, out: Record<string, unknown>, depth: number, maxDepth: number): void {
  for (;;) {
    if (r.eof()) {
      if (group !== 0) throw new WireError(`group ${group} not closed at offset ${r.pos}`);
      return;
    }
    const tag = r.tag();
    const field = tag >>> 3;
    switch (tag & 7) {
      case WireType.VARINT: {
        const v = r.varintSafe();
        put(out, field, v >= 0 ? v : r.bigUnsigned().toString());
        break;
      }
      case WireType.I64:
        r.fixed64();
        put(out, field, r.hi < 0x200000 ? r.hi * TWO_32 + r.lo : r.bigUnsigned().toString());
        break;
      case WireType.I32:
        put(out, field, r.fixed32());
        break;
      case WireType.LEN: {
        const end = r.lengthDelimited();
        put(out, field, lenValue(r.buf, r.pos, end, depth, maxDepth));
        r.pos = end;
        break;
      }
      case WireType.SGROUP: {
        const start = r.pos;
        if (depth >= maxDepth) {
          r.skip(WireType.SGROUP, field);
          put(out, field, base64(r.buf.subarray(start, r.pos)));
        } else {
          const nested: Record<string, unknown> = {};
          readFields(r, field, nested, depth + 1, maxDepth);
          put(out, field, nested);
        }
        break;
      }
      case WireType.EGROUP:
        if (field !== group) throw new WireError(`unexpected end group ${field} at offset ${r.pos}`);
        return;
    }
  }
}

/** A length-delimited payload: nested message, text, or bytes. */
function lenValue(buf: Uint8Array, start: number, end: number, depth: number, maxDepth: number): unknown {
  if (start === end) return '';
  const payload = buf.subarray(start, end);
  if (depth < maxDepth && isMessage(payload)) {
    const nested: Record<string, unknown> = {};
    // Cannot throw: isMessage has checked every tag and length.
    readFields(new WireReader(payload), 0, nested, depth + 1, maxDepth);
    return nested;
  }
  try {
    const s = utf8.decode(payload);
    if (!CONTROL.test(s)) return s;
  } catch {
    // not UTF-8: bytes
  }
  return base64(payload);
}

/** True when `b` parses completely as a message (a flat scan: nested payloads are not looked into). */
export function isMessage(b: Uint8Array): boolean {
  const r = new WireReader(b);
  try {
    while (!r.eof()) {
      const tag = r.tag();
      if ((tag & 7) === WireType.EGROUP) return false;
      r.skip(tag & 7, tag >>> 3);
    }
    return true;
  } catch {
    return false;
  }
}
