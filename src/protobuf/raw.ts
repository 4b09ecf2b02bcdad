/**
 * Schema-less decoding, like `protoc --decode_raw`: a message as an object keyed by field number.
 *
 * - varint: a number, or a decimal string when above 2^53 - 1 (negative int64s therefore show as their
 *   unsigned 64-bit value, as protoc prints them);
 * - fixed32: a number; fixed64: a number, or a string above 2^53 - 1;
 * - length-delimited: a string when the bytes are printable UTF-8 (no control characters but tab, CR, LF)
 *   and a nested parse is not clearly better (see lenValue), else a nested message when the bytes parse
 *   completely as one, else bytes as standard padded base64; an empty payload is "";
 * - groups (wire types 3/4): a nested object of the fields between the start and end tags;
 * - a field number seen more than once: an array of its values in wire order.
 *
 * Never throws. Nesting is bounded by `maxDepth` (default 100, protobuf's own default recursion limit):
 * payloads deeper than that are shown as bytes, so a 3,000-deep message costs at most maxDepth scans of its
 * bytes and no deep recursion. When the top-level bytes are not a valid message, the fields decoded before
 * the fault are returned with `error` saying where it was.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { WireError, WireReader, WireType } from './wire';

export const DEFAULT_RAW_MAX_DEPTH = 100;

export interface RawDecode {
  body: Record<string, unknown>;
  error: string | null;
}

const TWO_32 = 4294967296;
/** Decodes payloads already proven valid UTF-8 (isUtf8), so it never meets a malformed sequence. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

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

/**
 * A length-delimited payload: nested message, text, or bytes.
 *
 * Printable text often parses as a message too: each printable character is a valid tag for fields 4 to 15
 * (fields 1 to 3 need control characters, but for field 1's tab, LF and CR), so `Marie` reads as field 9,
 * fixed32 1701409377. A message is shown only when it is clearly the better reading: when the bytes are not
 * printable text, or when every field of the parse is itself length-delimited (strings and sub-messages,
 * such as a message holding one 40-character name, whose bytes are all printable). Numbers read out of
 * letters are coincidences; the text wins then.
 */
function lenValue(buf: Uint8Array, start: number, end: number, depth: number, maxDepth: number): unknown {
  if (start === end) return '';
  const shape = depth < maxDepth ? scanMessage(buf, start, end) : NOT_A_MESSAGE;
  if (shape !== ONLY_LENGTH_DELIMITED) {
    const text = printableText(buf, start, end);
    if (text !== null) return text;
  }
  if (shape !== NOT_A_MESSAGE) {
    const nested: Record<string, unknown> = {};
    // Cannot throw: scanMessage has checked every tag and length.
    readFields(new WireReader(buf, start, end), 0, nested, depth + 1, maxDepth);
    return nested;
  }
  return base64(buf.subarray(start, end));
}

/** Strings of at most this many ASCII octets are built in JS (cheaper than a native call, as in json.ts). */
const SHORT_TEXT_OCTETS = 32;

/**
 * `buf[start, end)` as a string when it is valid UTF-8 without control characters (C0 but tab, LF and CR,
 * and DEL), else null. UTF-8 never uses octets below 0x80 inside a multi-octet sequence, so the octets can
 * be checked for controls before decoding.
 */
function printableText(buf: Uint8Array, start: number, end: number): string | null {
  if (end - start >= NATIVE_TEXT_OCTETS) return longPrintableText(buf, start, end);
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return null;
    } else if (c >= 0x7f) {
      if (c === 0x7f) return null;
      ascii = false;
    }
  }
  const view = buf.subarray(start, end);
  if (!ascii) return isUtf8(view) ? utf8.decode(view) : null;
  if (end - start > SHORT_TEXT_OCTETS) return utf8.decode(view);
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/**
 * From this many octets on, printableText checks with native calls (isAscii, isUtf8, one indexOf per
 * control octet, each at memory speed) instead of a loop over the octets: a run decodes only a few such
 * payloads, so the loop would run unoptimized (cold, a 100 KB payload took 20 to 35 ms that way; measured).
 */
const NATIVE_TEXT_OCTETS = 1024;
/** The octets that make a payload not text: C0 controls but tab, LF and CR, and DEL. */
const CONTROL_OCTETS: readonly number[] = [...Array.from({ length: 0x20 }, (_, c) => c).filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d), 0x7f];

/** printableText for long payloads: the same answer. */
function longPrintableText(buf: Uint8Array, start: number, end: number): string | null {
  const view = Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  for (let i = 0; i < CONTROL_OCTETS.length; i++) if (view.indexOf(CONTROL_OCTETS[i]) !== -1) return null;
  if (isAscii(view)) return view.toString('latin1');
  return isUtf8(view) ? utf8.decode(view) : null;
}

/** scanMessage's answers. */
const NOT_A_MESSAGE = 0;
/** Parses, and every top-level field is length-delimited. */
const ONLY_LENGTH_DELIMITED = 1;
/** Parses, with at least one varint, fixed or group field. */
const WITH_SCALARS = 2;

/** The value of the last varint scanVarint read (when below 2^53), else -1. */
let scanned = 0;

/**
 * Reads a varint at `pos` as WireReader.varint does (up to 10 octets), without throwing: returns the
 * position after it, or -1 when it runs past `end` or is longer than 10 octets. Sets `scanned`.
 */
function scanVarint(buf: Uint8Array, pos: number, end: number): number {
  let lo = 0;
  let b: number;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return -1;
    b = buf[pos++];
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      scanned = lo >>> 0;
      return pos;
    }
  }
  if (pos >= end) return -1;
  b = buf[pos++];
  lo |= (b & 0x0f) << 28;
  let hi = (b & 0x7f) >> 4;
  if (b >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (shift > 31 || pos >= end) return -1;
      b = buf[pos++];
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
  }
  hi >>>= 0;
  scanned = hi < 0x200000 ? hi * TWO_32 + (lo >>> 0) : -1;
  return pos;
}

/**
 * Whether `buf[start, end)` parses completely as a message, and its shape (a flat scan: nested payloads are
 * not looked into). Accepts exactly what readFields accepts without an error, and returns a value instead of
 * throwing: on schema-less traffic most length-delimited payloads are probed, and most probes of text fail.
 */
function scanMessage(buf: Uint8Array, start: number, end: number): number {
  let pos = start;
  let shape = ONLY_LENGTH_DELIMITED;
  // Open groups' field numbers, innermost last (iterative: deep nesting cannot overflow the stack).
  let open: number[] | null = null;
  while (pos < end) {
    const topLevel = open === null || open.length === 0;
    pos = scanVarint(buf, pos, end);
    const tag = scanned;
    // A tag is below 2^32 (readFields: hi must be 0), its field number not 0, its wire type 0 to 5.
    if (pos < 0 || tag < 0 || tag > 0xffffffff || tag < 8) return NOT_A_MESSAGE;
    const field = tag >>> 3;
    switch (tag & 7) {
      case WireType.VARINT:
        pos = scanVarint(buf, pos, end);
        if (pos < 0) return NOT_A_MESSAGE;
        break;
      case WireType.I64:
        pos += 8;
        if (pos > end) return NOT_A_MESSAGE;
        break;
      case WireType.I32:
        pos += 4;
        if (pos > end) return NOT_A_MESSAGE;
        break;
      case WireType.LEN: {
        pos = scanVarint(buf, pos, end);
        if (pos < 0 || scanned < 0 || scanned > end - pos) return NOT_A_MESSAGE;
        pos += scanned;
        break;
      }
      case WireType.SGROUP:
        (open ??= []).push(field);
        break;
      case WireType.EGROUP:
        if (open === null || open.length === 0 || open.pop() !== field) return NOT_A_MESSAGE;
        break;
      default:
        return NOT_A_MESSAGE;
    }
    if (topLevel && (tag & 7) !== WireType.LEN) shape = WITH_SCALARS;
  }
  return open === null || open.length === 0 ? shape : NOT_A_MESSAGE;
}

/** True when `b` parses completely as a message (a flat scan: nested payloads are not looked into). */
export function isMessage(b: Uint8Array): boolean {
  return scanMessage(b, 0, b.length) !== NOT_A_MESSAGE;
}
