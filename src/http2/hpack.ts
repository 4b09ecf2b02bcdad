/**
 * HPACK header block decoding (RFC 7541), one decoder per direction of a connection.
 *
 * https://www.rfc-editor.org/rfc/rfc7541.html
 *
 * Why our own decoder rather than hpack.js: a capture is not a conversation we took part in. The capture may
 * start after the peers filled their dynamic tables, and TCP gaps may swallow header blocks. hpack.js is
 * written for a live endpoint: a reference to an unknown dynamic entry throws, the rest of the block stays in
 * its input buffer and corrupts the next block, and a literal it could not store silently shifts every later
 * dynamic index (mis-decoding, not failing). It also stops at integers above 2^32 (a 4 GB table size update
 * fails the block), decodes Huffman one tree step at a time, and goes through a Node stream per block.
 * `test/http2/hpack-bench.ts` compares both on gRPC header blocks: about 10x faster than hpack.js's
 * write/execute/read, 3x faster than calling its internals directly, 8x on first-call (all-literal,
 * Huffman) blocks.
 *
 * The property this decoder is built on: dynamic table indices count from the newest entry (§2.3.3). Our
 * copy of the table may hold *fewer* old entries than the peer's (the capture started late, a block was
 * lost) or *more* (we evicted later than the peer): as long as every insertion since the oldest entry we
 * hold was seen, index N means the same entry on both sides, and an index beyond what we hold is reported as
 * unknown. So:
 *  - a reference to an entry we do not have is reported, the field is left out, decoding goes on;
 *  - a literal with incremental indexing whose name or value could not be decoded still takes its slot in
 *    the table (a placeholder), so later indices do not shift; referencing the placeholder is reported;
 *  - when the rest of a block cannot be parsed (truncated integer or string), we cannot know how many
 *    entries it inserted, so the whole table is forgotten (`forget()`); entries inserted afterwards decode
 *    normally, references to older ones are reported as unknown — never mis-decoded. The connection layer
 *    does the same when a header block is lost to a TCP gap or skipped for its size.
 */
import type { HeaderField, UnknownField } from './types';

/** Default `maxTableSize`: the largest dynamic table (octets) we keep for a peer (Http2Options.maxHeaderTableSize). */
export const DEFAULT_MAX_HEADER_TABLE_SIZE = 65_536;

/**
 * Default `maxHeaderListSize`: the largest decoded header list (octets, counted as SETTINGS_MAX_HEADER_LIST_SIZE
 * counts them, RFC 9113 §6.5.2: name + value + 32 per field) one block may expand to. A block of one-octet
 * references to a 64 KiB table entry expands 65,000-fold: 1 MB on the wire would decode to 60 GB.
 */
export const DEFAULT_MAX_HEADER_LIST_SIZE = 1024 * 1024;

/** Initial dynamic table size before any SETTINGS_HEADER_TABLE_SIZE or size update (RFC 9113 §6.5.2). */
const INITIAL_TABLE_SIZE = 4_096;

/** Per-entry overhead added to name and value octets (§4.1). */
const ENTRY_OVERHEAD = 32;

/**
 * Longest integer continuation we accept: 8 octets carry 56 bits, enough for any value an HTTP/2 peer can
 * mean (table sizes and lengths are 32-bit); longer is a malformed block, not a huge allocation.
 */
const MAX_INTEGER_OCTETS = 8;

/** The static table (RFC 7541 Appendix A), index 1..61. */
export const STATIC_TABLE: readonly HeaderField[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_LENGTH = 61;
/** Octet sizes of static names, for the size of a literal that reuses one (§4.1 counts octets). */
const STATIC_NAME_OCTETS = STATIC_TABLE.map(([n]) => n.length);

// ---------------------------------------------------------------------------------------------------------
// Huffman (RFC 7541 §5.2, Appendix B)

/**
 * Code length of each symbol 0..256 (256 is EOS), RFC 7541 Appendix B. The code is canonical (codes of one
 * length are consecutive, in symbol order, and each length continues where the shorter one ended), so the
 * lengths alone define it; the test suite checks every code against hpack.js's table.
 */
// prettier-ignore
export const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  13,23,28,28,28,28,28,28,28,24,30,28,28,30,28,28,28,28,28,28,28,28,30,28,28,28,28,28,28,28,28,28,6,10,10,12,
  13,6,8,11,10,10,8,11,8,6,6,6,5,5,5,6,6,6,6,6,6,6,7,8,15,6,12,10,13,6,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
  7,7,7,8,7,8,13,19,13,14,6,15,5,6,5,6,5,6,6,6,5,7,7,6,6,6,5,6,7,6,5,5,6,7,7,7,7,7,15,11,14,13,28,20,22,20,20,
  22,22,22,23,22,23,23,23,23,23,24,23,24,24,22,23,24,23,23,23,23,21,22,23,22,23,23,24,22,21,20,22,22,23,23,21,
  23,22,22,24,21,22,23,23,21,21,22,21,23,22,23,23,20,22,22,22,23,22,22,23,26,26,20,19,22,23,22,25,26,26,26,27,
  27,26,24,25,19,21,26,27,27,26,27,24,21,21,26,26,28,27,27,27,20,24,20,21,22,21,21,23,22,22,25,25,24,24,26,23,
  26,27,26,26,27,27,27,27,27,28,27,27,27,27,27,26,30,
];

/** Canonical codes from the lengths: `[code, length]` per symbol. Exported for tests. */
export function huffmanCodes(): Array<[code: number, length: number]> {
  const order = HUFFMAN_CODE_LENGTHS.map((_, s) => s).sort(
    (a, b) => HUFFMAN_CODE_LENGTHS[a] - HUFFMAN_CODE_LENGTHS[b] || a - b,
  );
  const codes: Array<[number, number]> = new Array(HUFFMAN_CODE_LENGTHS.length);
  let code = 0;
  let len = HUFFMAN_CODE_LENGTHS[order[0]];
  for (const s of order) {
    code *= 2 ** (HUFFMAN_CODE_LENGTHS[s] - len);
    len = HUFFMAN_CODE_LENGTHS[s];
    codes[s] = [code, len];
    code++;
  }
  return codes;
}

/*
 * Decoding is a finite state machine over 4-bit nibbles (the technique of nghttp2): a state is an internal
 * node of the code tree (256 of them for 257 symbols), and for each state and nibble a table gives the next
 * state and the symbol completed on the way, if any. No code is shorter than 5 bits, so a nibble completes
 * at most one symbol.
 */
const HUFF_EMIT = 0x100;
const HUFF_FAIL = 0x200;
/** Entry: next state (bits 0-7) | HUFF_EMIT | HUFF_FAIL | symbol << 16. */
const HUFF_FSM = new Int32Array(256 * 16);
/** States a string may end in: the root, or ≤ 7 bits of the all-ones EOS prefix (padding, §5.2). */
const HUFF_ACCEPT = new Uint8Array(256);

(function buildHuffmanFsm(): void {
  // Tree: internal nodes 0..255 with children; a child >= 0 is an internal node, < 0 is leaf -(symbol+1).
  const child0: number[] = [NaN];
  const child1: number[] = [NaN];
  const codes = huffmanCodes();
  for (let sym = 0; sym < codes.length; sym++) {
    const [code, len] = codes[sym];
    let node = 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      const b = Math.floor(code / 2 ** bit) & 1;
      const kids = b ? child1 : child0;
      if (bit === 0) {
        kids[node] = -(sym + 1);
      } else {
        if (Number.isNaN(kids[node])) {
          kids[node] = child0.length;
          child0.push(NaN);
          child1.push(NaN);
        }
        node = kids[node];
      }
    }
  }
  // Accepting states: walk the all-ones path from the root for at most 7 bits.
  let n = 0;
  HUFF_ACCEPT[0] = 1;
  for (let depth = 1; depth <= 7; depth++) {
    n = child1[n];
    HUFF_ACCEPT[n] = 1;
  }
  for (let state = 0; state < child0.length; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = (nibble >> bit) & 1 ? child1[node] : child0[node];
        if (next < 0) {
          const sym = -next - 1;
          if (sym === 256) {
            entry |= HUFF_FAIL; // EOS inside a string is an error (§5.2)
            break;
          }
          entry |= HUFF_EMIT | (sym << 16);
          node = 0;
        } else {
          node = next;
        }
      }
      HUFF_FSM[state * 16 + nibble] = entry | node;
    }
  }
})();

/** Scratch output for Huffman decoding, reused; a string longer than this gets its own buffer. */
const HUFF_SCRATCH_BYTES = 16_384;
let huffScratch = new Uint8Array(HUFF_SCRATCH_BYTES);

/**
 * Decode `src[start:end]` as Huffman; returns the number of octets written to `huffOut` or -1 on a bad
 * code (EOS symbol, padding longer than 7 bits or not all ones).
 */
let huffOut = huffScratch;
function huffmanDecode(src: Uint8Array, start: number, end: number): number {
  // Shortest code is 5 bits: at most 8/5 symbols per octet.
  const need = Math.ceil(((end - start) * 8) / 5);
  huffOut = need <= HUFF_SCRATCH_BYTES ? huffScratch : new Uint8Array(need);
  const out = huffOut;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const b = src[i];
    let e = HUFF_FSM[(state << 4) | (b >> 4)];
    if (e & HUFF_FAIL) return -1;
    if (e & HUFF_EMIT) out[n++] = e >>> 16;
    state = e & 0xff;
    e = HUFF_FSM[(state << 4) | (b & 0xf)];
    if (e & HUFF_FAIL) return -1;
    if (e & HUFF_EMIT) out[n++] = e >>> 16;
    state = e & 0xff;
  }
  return HUFF_ACCEPT[state] ? n : -1;
}

// ---------------------------------------------------------------------------------------------------------
// Octets to strings

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Buffer's latin1 decoder, callable on any Uint8Array: one native call that makes a flat string. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/** Strings up to this many octets are built in a JS loop; longer ones by one native call (measured faster). */
const SHORT_STRING_OCTETS = 8;

/**
 * Field octets as a string: ASCII (nearly every field) as is; otherwise UTF-8 when the octets are valid
 * UTF-8, else latin1 (one char per octet), so nothing is lost and nothing throws.
 */
export function octetsToString(b: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i] & 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    if (end - start <= SHORT_STRING_OCTETS) {
      let s = '';
      for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
      return s;
    }
    if (latin1Slice !== undefined) return latin1Slice.call(b, start, end);
    return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  }
  try {
    return utf8Strict.decode(b.subarray(start, end));
  } catch {
    return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  }
}

// ---------------------------------------------------------------------------------------------------------
// The decoder

export interface HpackDecoderOptions {
  /**
   * Largest dynamic table (octets) kept, whatever the peer announces or signals (default 64 KiB). A larger
   * size update is clamped and reported; entries beyond the clamp are forgotten, so references to them are
   * reported as unknown. Bounds memory per direction to about this many octets of strings.
   */
  maxTableSize?: number;
  /** Dynamic table size before any SETTINGS or size update: 4096 in HTTP/2 (RFC 9113 §6.5.2). */
  initialTableSize?: number;
  /**
   * Largest decoded header list of one block (default 1 MiB, counted as SETTINGS_MAX_HEADER_LIST_SIZE is).
   * Past it the block is still parsed to its end (its table insertions keep later blocks in sync) but its
   * fields are dropped and the block is reported, so one block costs at most this much, whatever it references.
   */
  maxHeaderListSize?: number;
  /**
   * The direction's start was not captured: the peer's table already holds entries we never saw. References
   * to them become placeholders (`HpackBlockResult.unknown`) rather than errors, and the size in force is
   * taken as maxTableSize (keeping an entry the peer has evicted is harmless; evicting one it still uses
   * would shift every placeholder).
   */
  joined?: boolean;
}

/** The outcome of one header block. */
export interface HpackBlockResult {
  /**
   * Fields in block order; fields that could not be decoded are left out. A field that comes from the
   * static or dynamic table is the table's own tuple, shared by every block that references the entry
   * (no allocation per field): read-only, like everything handed up.
   */
  headers: HeaderField[];
  /** First problem met, with `(+N more)` when there were several; absent when the block decoded cleanly. */
  error?: string;
  /** Fields that refer to entries from before the join (or the last loss of state), in block order. */
  unknown?: UnknownField[];
}

/** Slots of a new decoder's ring of dynamic entries (a power of two). */
const INITIAL_RING_SLOTS = 4;

/** Thrown inside `decode()` when the rest of the block cannot be parsed; caught there. */
class BlockCut extends Error {}

export class HpackDecoder {
  readonly maxTableSize: number;
  readonly maxHeaderListSize: number;
  /** Dynamic table size in force: entries are evicted above it (§4.3). */
  private capacity = INITIAL_TABLE_SIZE;
  /** Sum of entry sizes (§4.1), placeholders counted at their known lower bound. */
  private size = 0;
  // Ring buffer of entries, oldest at `head`. null name/value: a placeholder (could not be decoded).
  // The ring starts small (grow() doubles it): a connection costs little until its peers fill their tables.
  private names: Array<string | null> = new Array(INITIAL_RING_SLOTS).fill(null);
  private values: Array<string | null> = new Array(INITIAL_RING_SLOTS).fill(null);
  /** The entry as a field, handed out for every reference to it; null for a placeholder. */
  private tuples: Array<HeaderField | null> = new Array(INITIAL_RING_SLOTS).fill(null);
  private sizes: number[] = new Array(INITIAL_RING_SLOTS).fill(0);
  private nameSizes: number[] = new Array(INITIAL_RING_SLOTS).fill(0);
  /** For an entry whose name came from an unknown entry: that entry's ref (UnknownField.ref); else null. */
  private nameRefs: Array<string | null> = new Array(INITIAL_RING_SLOTS).fill(null);
  private mask = INITIAL_RING_SLOTS - 1;
  private head = 0;
  private count = 0;
  /**
   * How many times the table's state was lost (1 at a join): entries older than those held are then
   * placeholders named `epoch.k`. 0: every entry the peer holds was seen, an unknown index is an error.
   */
  private epoch = 0;
  private unknown: UnknownField[] | null = null;

  // Per-block state.
  private pos = 0;
  private end = 0;
  private errors = 0;
  private firstError = '';
  /** Octet length of the last string read (table sizes count octets, not UTF-16 units). */
  private strOctets = 0;
  /** Decoded header list size of the block so far (RFC 9113 §6.5.2), -1 once past maxHeaderListSize. */
  private listSize = 0;

  constructor(options: HpackDecoderOptions = {}) {
    this.maxTableSize = options.maxTableSize ?? DEFAULT_MAX_HEADER_TABLE_SIZE;
    this.maxHeaderListSize = options.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE;
    this.capacity = Math.min(options.initialTableSize ?? INITIAL_TABLE_SIZE, this.maxTableSize);
    if (options.joined) {
      this.epoch = 1;
      this.capacity = this.maxTableSize;
    }
  }

  /** The ref of the entry at dynamic index `index` that we do not hold: k-th newest at the last loss. */
  private refOf(index: number): string {
    return `${this.epoch}.${index - STATIC_LENGTH - this.count}`;
  }

  /** The dynamic table, newest first, as `[name, value, size]` (null: a placeholder). For tests. */
  entries(): Array<[string | null, string | null, number]> {
    const out: Array<[string | null, string | null, number]> = [];
    for (let d = 0; d < this.count; d++) {
      const slot = this.slot(d + STATIC_LENGTH + 1);
      out.push([this.names[slot], this.values[slot], this.sizes[slot]]);
    }
    return out;
  }

  /** Entries currently held (for tests and diagnostics). */
  get entryCount(): number {
    return this.count;
  }

  /** Octets currently accounted in the dynamic table. */
  get tableSize(): number {
    return this.size;
  }

  /** Dynamic table size in force. */
  get tableCapacity(): number {
    return this.capacity;
  }

  /**
   * SETTINGS_HEADER_TABLE_SIZE sent by the endpoint that receives the blocks this decoder reads (RFC 9113
   * §6.5.2; RFC 7541 §4.2). The encoder may use up to it; it must signal a smaller size with a size update
   * (§6.3), so a smaller setting does not evict here. A larger one is applied at once (up to maxTableSize):
   * keeping entries the encoder has already evicted is harmless — it will not reference them — while
   * evicting entries it still uses would turn later references into "unknown".
   */
  applySettingsTableSize(size: number): void {
    const s = Math.min(size, this.maxTableSize);
    if (s > this.capacity) this.capacity = s;
  }

  /**
   * Forget every dynamic entry (a header block was lost or could not be parsed to its end). Later references
   * to forgotten entries are reported as unknown; entries inserted from now on decode normally.
   */
  forget(): void {
    this.epoch++;
    this.names.fill(null);
    this.values.fill(null);
    this.tuples.fill(null);
    this.nameRefs.fill(null);
    this.head = 0;
    this.count = 0;
    this.size = 0;
  }

  /** Decode one complete header block (§3). Never throws. */
  decode(block: Uint8Array, start = 0, end = block.length): HpackBlockResult {
    let headers: HeaderField[] = [];
    this.pos = start;
    this.end = end;
    this.errors = 0;
    this.firstError = '';
    this.listSize = 0;
    this.unknown = null;
    try {
      while (this.pos < end) this.field(block, headers);
    } catch (e) {
      if (!(e instanceof BlockCut)) throw e;
      this.forget();
    }
    if (this.listSize < 0) headers = [];
    const unknown = this.listSize < 0 ? null : this.unknown;
    this.unknown = null;
    if (this.errors === 0) return unknown === null ? { headers } : { headers, unknown };
    const more = this.errors > 1 ? ` (+${this.errors - 1} more)` : '';
    const r: HpackBlockResult = { headers, error: this.firstError + more };
    if (unknown !== null) r.unknown = unknown;
    return r;
  }

  /**
   * A field that refers to an entry from before the join, at its place in the block. It counts toward the
   * header list limit at its known lower bound (value + 32), so a block of such references stays bounded too.
   */
  private placeholder(headers: HeaderField[], ref: string, value?: string, valueOctets = 0): void {
    if (this.listSize < 0) return;
    this.listSize += valueOctets + ENTRY_OVERHEAD;
    if (this.listSize > this.maxHeaderListSize) {
      this.overflow(headers);
      return;
    }
    const at = headers.length;
    const u: UnknownField = value === undefined ? { ref, at } : { ref, at, value };
    (this.unknown ??= []).push(u);
  }

  private report(msg: string): void {
    if (this.errors++ === 0) this.firstError = msg;
  }

  private cut(msg: string): never {
    this.report(`${msg}; the rest of the block is lost and the dynamic table is reset`);
    throw new BlockCut();
  }

  /** One field representation (§6). */
  private field(b: Uint8Array, headers: HeaderField[]): void {
    const first = b[this.pos];
    if (first & 0x80) {
      // §6.1 Indexed Header Field
      const index = this.integer(b, 7);
      if (index === 0) {
        this.report('indexed header field with index 0 (RFC 7541 §6.1)');
        return;
      }
      if (index <= STATIC_LENGTH) {
        const t = STATIC_TABLE[index - 1];
        this.emit(headers, t, STATIC_NAME_OCTETS[index - 1] + t[1].length + ENTRY_OVERHEAD);
        return;
      }
      const slot = this.slot(index);
      const tuple = slot < 0 ? null : this.tuples[slot];
      if (tuple === null) {
        if (slot < 0 && this.epoch > 0) this.placeholder(headers, this.refOf(index));
        else if (slot >= 0 && this.nameRefs[slot] !== null && this.values[slot] !== null) {
          this.placeholder(headers, this.nameRefs[slot] as string, this.values[slot] as string, this.sizes[slot] - ENTRY_OVERHEAD);
        } else this.report(unknownIndexMessage(index));
        return;
      }
      this.emit(headers, tuple, this.sizes[slot]);
      return;
    }
    let incremental = false;
    let index: number;
    if (first & 0x40) {
      // §6.2.1 Literal Header Field with Incremental Indexing
      incremental = true;
      index = this.integer(b, 6);
    } else if (first & 0x20) {
      // §6.3 Dynamic Table Size Update
      this.sizeUpdate(this.integer(b, 5));
      return;
    } else {
      // §6.2.2 without Indexing (0000) and §6.2.3 Never Indexed (0001): same decoding for a reader.
      index = this.integer(b, 4);
    }
    let name: string | null;
    let nameOctets: number;
    let nameRef: string | null = null;
    if (index === 0) {
      name = this.string(b);
      nameOctets = this.strOctets;
    } else if (index <= STATIC_LENGTH) {
      name = STATIC_TABLE[index - 1][0];
      nameOctets = STATIC_NAME_OCTETS[index - 1];
    } else {
      const slot = this.slot(index);
      name = slot < 0 ? null : this.names[slot];
      nameOctets = slot < 0 ? 0 : this.nameSizes[slot];
      if (name === null) {
        if (slot < 0 && this.epoch > 0) nameRef = this.refOf(index);
        else if (slot >= 0) nameRef = this.nameRefs[slot];
        if (nameRef === null) this.report(unknownIndexMessage(index));
      }
    }
    // gRPC `-bin` values may be "true binary" (a 0x00 octet, then raw bytes) between peers that negotiated
    // it: decode them one char per octet so no byte is lost to UTF-8 decoding.
    const value = this.string(b, name !== null && name.endsWith('-bin'));
    const valueOctets = this.strOctets;
    const tuple: HeaderField | null = name !== null && value !== null ? [name, value] : null;
    // An entry named after an unknown one: its size is known only from below (value + 32); see `refOf`.
    if (incremental) this.insert(name, value, tuple, nameOctets, nameOctets + valueOctets + ENTRY_OVERHEAD, nameRef);
    if (tuple !== null) this.emit(headers, tuple, nameOctets + valueOctets + ENTRY_OVERHEAD);
    else if (nameRef !== null && value !== null) this.placeholder(headers, nameRef, value, valueOctets);
  }

  /** Adds a field to the block's list unless the list outgrew maxHeaderListSize (then reported once). */
  private emit(headers: HeaderField[], field: HeaderField, octets: number): void {
    if (this.listSize < 0) return;
    this.listSize += octets;
    if (this.listSize <= this.maxHeaderListSize) {
      headers.push(field);
      return;
    }
    this.overflow(headers);
  }

  /** The list outgrew maxHeaderListSize: the block's fields (and placeholders) are dropped, reported once. */
  private overflow(headers: HeaderField[]): void {
    this.listSize = -1;
    headers.length = 0;
    this.unknown = null;
    this.report(
      `decoded header list larger than ${this.maxHeaderListSize} octets (SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113 §6.5.2); the block's fields are dropped`,
    );
  }

  /** Slot in the ring of dynamic index `index` (> 61), or -1 when we do not hold it (§2.3.3). */
  private slot(index: number): number {
    const d = index - STATIC_LENGTH - 1;
    if (d >= this.count) return -1;
    return (this.head + this.count - 1 - d) & this.mask;
  }

  /** §6.3: also tolerated after the first field; clamped to maxTableSize. */
  private sizeUpdate(size: number): void {
    if (size > this.maxTableSize) {
      this.report(
        `dynamic table size update to ${size} exceeds the limit of ${this.maxTableSize} octets (maxHeaderTableSize); clamped`,
      );
      size = this.maxTableSize;
    }
    this.capacity = size;
    this.evictTo(size);
    // A table emptied by the peer holds nothing from before the join (or the last loss) any more.
    if (size === 0) this.epoch = 0;
  }

  /** §4.4: add at the front, evicting from the end; an entry larger than the table empties it. */
  private insert(name: string | null, value: string | null, tuple: HeaderField | null, nameOctets: number, size: number, nameRef: string | null = null): void {
    if (size > this.capacity) {
      this.forget();
      return;
    }
    this.evictTo(this.capacity - size);
    if (this.count > this.mask) this.grow();
    const slot = (this.head + this.count) & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
    this.tuples[slot] = tuple;
    this.sizes[slot] = size;
    this.nameSizes[slot] = nameOctets;
    this.nameRefs[slot] = nameRef;
    this.count++;
    this.size += size;
  }

  private evictTo(limit: number): void {
    while (this.size > limit && this.count > 0) {
      const h = this.head;
      this.size -= this.sizes[h];
      this.names[h] = null;
      this.values[h] = null;
      this.tuples[h] = null;
      this.nameRefs[h] = null;
      this.head = (h + 1) & this.mask;
      this.count--;
    }
    if (this.count === 0) this.size = 0;
  }

  /** Double the ring; entries are ≥ 32 octets, so it never exceeds maxTableSize / 32 slots (rounded up). */
  private grow(): void {
    const n = (this.mask + 1) * 2;
    const names: Array<string | null> = new Array(n).fill(null);
    const values: Array<string | null> = new Array(n).fill(null);
    const tuples: Array<HeaderField | null> = new Array(n).fill(null);
    const sizes: number[] = new Array(n).fill(0);
    const nameSizes: number[] = new Array(n).fill(0);
    const nameRefs: Array<string | null> = new Array(n).fill(null);
    for (let i = 0; i < this.count; i++) {
      const s = (this.head + i) & this.mask;
      names[i] = this.names[s];
      values[i] = this.values[s];
      tuples[i] = this.tuples[s];
      sizes[i] = this.sizes[s];
      nameSizes[i] = this.nameSizes[s];
      nameRefs[i] = this.nameRefs[s];
    }
    this.names = names;
    this.values = values;
    this.tuples = tuples;
    this.sizes = sizes;
    this.nameSizes = nameSizes;
    this.nameRefs = nameRefs;
    this.mask = n - 1;
    this.head = 0;
  }

  /** §5.1 Integer Representation with an N-bit prefix, starting at the current octet. */
  private integer(b: Uint8Array, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = b[this.pos++] & max;
    if (value < max) return value;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.cut('integer cut short at the end of the block (RFC 7541 §5.1)');
      if (i >= MAX_INTEGER_OCTETS) this.cut(`integer longer than ${MAX_INTEGER_OCTETS} continuation octets (RFC 7541 §5.1)`);
      const octet = b[this.pos++];
      value += (octet & 0x7f) * 2 ** shift;
      shift += 7;
      if ((octet & 0x80) === 0) return value;
    }
  }

  /**
   * §5.2 String Literal. Returns null (and reports) on a bad Huffman code: the length is known, so the
   * block stays in sync. Sets `strOctets` to the decoded octet length (0 when unknown).
   */
  private string(b: Uint8Array, binary = false): string | null {
    if (this.pos >= this.end) this.cut('string literal missing at the end of the block (RFC 7541 §5.2)');
    const huffman = b[this.pos] & 0x80;
    const len = this.integer(b, 7);
    const start = this.pos;
    if (len > this.end - start) {
      this.cut(`string literal of ${len} octets longer than the ${this.end - start} left in the block (RFC 7541 §5.2)`);
    }
    this.pos = start + len;
    if (!huffman) {
      this.strOctets = len;
      return binary ? latin1(b, start, start + len) : octetsToString(b, start, start + len);
    }
    const n = huffmanDecode(b, start, start + len);
    if (n < 0) {
      this.strOctets = 0;
      this.report('invalid Huffman code in a string literal (RFC 7541 §5.2)');
      return null;
    }
    this.strOctets = n;
    return binary ? latin1(huffOut, 0, n) : octetsToString(huffOut, 0, n);
  }
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

function unknownIndexMessage(index: number): string {
  return `dynamic table index ${index} is not known (inserted before the capture started, or lost)`;
}
