/**
 * HTTP/2 frame parsing for one direction of a connection (RFC 9113 §4): bytes in, in any split; frames out.
 *
 * https://www.rfc-editor.org/rfc/rfc9113.html#section-4.1
 *
 * A frame that lies inside one pushed chunk is handed out as a zero-copy view of it; a frame split across
 * chunks is assembled in a buffer of exactly its length (at most `maxFrameSize`). Views are valid only
 * during the `onFrame` call.
 *
 * Framing can be lost: a length above `maxFrameSize`, a frame that breaks the fixed sizes of §6 (a PING
 * that is not 8 octets, …), or a TCP gap whose lost bytes may have held frame headers. Then the parser
 * resynchronises: it keeps a window of at most RESYNC_WINDOW_BYTES and looks for 9 octets that are a
 * plausible frame header (known type, flags defined for the type, reserved bit clear, length within the
 * receiver's SETTINGS_MAX_FRAME_SIZE and the fixed sizes of §6, stream id 0 exactly where §6 requires it,
 * plus the connection's own check of stream ids) confirmed by the plausible header right after the frame it
 * announces (see `scan` for the finer rules). Bytes passed over are counted and told via `onSkipped`, before
 * the frames found after them.
 */
import {
  DEFINED_FLAGS,
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_LENGTH,
  FrameFlag,
  FrameType,
  LAST_KNOWN_FRAME_TYPE,
  MAX_FRAME_SIZE_LIMIT,
  SETTINGS_ENTRY_LENGTH,
} from './constants';

/** Default `maxFrameSize`: the largest payload length the frame header can carry (RFC 9113 §4.1). */
export const DEFAULT_MAX_FRAME_PAYLOAD = MAX_FRAME_SIZE_LIMIT;

/**
 * Bytes kept while looking for a frame boundary. A candidate header is confirmed by the header that
 * follows its frame, so frames up to this size minus 18 can be confirmed (a default-size 16 KiB frame
 * fits); a candidate announcing a larger frame is accepted on its own evidence once the window is full.
 * When the window is full without a candidate, its older bytes are dropped (and counted).
 */
export const RESYNC_WINDOW_BYTES = 32 * 1024;

export interface FrameParserOptions {
  /** Largest payload length accepted; a larger one is a loss of framing. */
  maxFrameSize?: number;
  /**
   * Extra plausibility check while resynchronising (the connection knows stream-id parity and the streams
   * it has seen). Not consulted while in sync.
   */
  plausibleStream?: (type: number, flags: number, streamId: number) => boolean;
  /**
   * Bytes skipped (passed over to resynchronise, or the received part of a frame damaged by a gap), told
   * once the skipping is over and before the frames that follow it. For the bytes of one damaged frame
   * (framing kept), `damagedType` and `damagedStreamId` name that frame; for bytes passed over while
   * resynchronising, `damagedType` is -1 (whose bytes they were is unknown).
   */
  onSkipped?: (bytes: number, damagedType: number, damagedStreamId: number) => void;
}

/** Called for every frame; `payload` is valid only during the call. */
export type FrameCallback = (type: number, flags: number, streamId: number, payload: Uint8Array) => void;

const enum State {
  /** Expecting (the rest of) a frame header. */
  HEADER,
  /** Assembling a payload split across chunks. */
  PAYLOAD,
  /** Dropping the rest of a frame damaged by a TCP gap whose size is known (framing kept). */
  DISCARD,
  /** Framing lost: scanning for a plausible header. */
  RESYNC,
}

/** `lost()` result: framing kept, and the damaged frame (if any) was of this type. */
export interface GapOutcome {
  /** False: framing was lost, the parser is resynchronising. */
  framingKept: boolean;
  /** Type of the frame the gap fell into (framing kept), or -1 when the gap fell on a frame boundary. */
  damagedType: number;
  /** Flags and stream of that frame. */
  damagedFlags: number;
  damagedStreamId: number;
  /**
   * Framing kept and the lost bytes were all payload of one frame of a stream (not a header block, not a
   * connection frame): that stream, the only one the loss concerns. 0 otherwise. Set also when the gap
   * falls into the rest of a frame already damaged (damagedType is then -1: reported before).
   */
  lostInStream: number;
}

export class FrameParser {
  readonly maxFrameSize: number;
  /**
   * Largest length believed while resynchronising: the receiver's SETTINGS_MAX_FRAME_SIZE when seen (the
   * connection updates it), else the 16 KiB default; never above maxFrameSize.
   */
  plausibleMaxLength: number;
  /** Bytes passed over to resynchronise or dropped from damaged frames, not yet told to `onSkipped`. */
  private skipped = 0;
  /** Type and stream of the damaged frame `skipped` belongs to (DISCARD), or -1 (resync, unknown). */
  private skippedType = -1;
  private skippedStreamId = 0;
  private readonly onSkipped?: (bytes: number, damagedType: number, damagedStreamId: number) => void;

  private state = State.HEADER;
  /** A frame header split across chunks (made the first time one is). */
  private hdr: Uint8Array | null = null;
  private hdrLen = 0;
  private type = 0;
  private flags = 0;
  private streamId = 0;
  private asm: Uint8Array = EMPTY;
  private asmLen = 0;
  /** DISCARD: payload bytes still to drop. */
  private discard = 0;
  /** RESYNC window (allocated only while resynchronising). */
  private win: Uint8Array | null = null;
  private winLen = 0;
  private scanPos = 0;
  private readonly plausibleStream?: (type: number, flags: number, streamId: number) => boolean;

  constructor(
    private readonly onFrame: FrameCallback,
    options: FrameParserOptions = {},
  ) {
    this.maxFrameSize = Math.min(options.maxFrameSize ?? DEFAULT_MAX_FRAME_PAYLOAD, MAX_FRAME_SIZE_LIMIT);
    this.plausibleMaxLength = Math.min(DEFAULT_MAX_FRAME_SIZE, this.maxFrameSize);
    this.plausibleStream = options.plausibleStream;
    this.onSkipped = options.onSkipped;
  }

  /** True while looking for a frame boundary. */
  get resynchronising(): boolean {
    return this.state === State.RESYNC;
  }

  private flushSkipped(): void {
    const n = this.skipped;
    const type = this.skippedType;
    const sid = this.skippedStreamId;
    this.skippedType = -1;
    this.skippedStreamId = 0;
    if (n === 0) return;
    this.skipped = 0;
    this.onSkipped?.(n, type, type < 0 ? 0 : sid);
  }

  /** Start without trusting the first byte to be a frame boundary (the capture began mid-connection). */
  startUnsynchronised(): void {
    this.enterResync();
  }

  /** Feed the next bytes of the direction, in order. */
  push(bytes: Uint8Array): void {
    let p = 0;
    const n = bytes.length;
    while (p < n) {
      switch (this.state) {
        case State.HEADER: {
          if (this.hdrLen === 0 && n - p >= FRAME_HEADER_LENGTH) {
            // Fast path: the whole header is in this chunk.
            const len = (bytes[p] << 16) | (bytes[p + 1] << 8) | bytes[p + 2];
            const type = bytes[p + 3];
            if (!this.frameSane(len, type, bytes[p + 4])) {
              // Not a frame we can believe: rescan from its second octet.
              this.skipped += 1;
              this.enterResync();
              this.resyncAppendAndScan(bytes, p + 1, n, false);
              return;
            }
            const flags = bytes[p + 4];
            const sid = ((bytes[p + 5] & 0x7f) << 24) | (bytes[p + 6] << 16) | (bytes[p + 7] << 8) | bytes[p + 8];
            const start = p + FRAME_HEADER_LENGTH;
            if (n - start >= len) {
              p = start + len;
              this.onFrame(type, flags, sid, bytes.subarray(start, p));
              continue;
            }
            this.type = type;
            this.flags = flags;
            this.streamId = sid;
            this.asm = new Uint8Array(len);
            this.asm.set(bytes.subarray(start, n));
            this.asmLen = n - start;
            this.state = State.PAYLOAD;
            return;
          }
          const take = Math.min(FRAME_HEADER_LENGTH - this.hdrLen, n - p);
          (this.hdr ??= new Uint8Array(FRAME_HEADER_LENGTH)).set(bytes.subarray(p, p + take), this.hdrLen);
          this.hdrLen += take;
          p += take;
          if (this.hdrLen < FRAME_HEADER_LENGTH) return;
          const h = this.hdr as Uint8Array;
          const len = (h[0] << 16) | (h[1] << 8) | h[2];
          if (!this.frameSane(len, h[3], h[4])) {
            // Rescan from the header's second octet: its other 8 octets, then the rest of this chunk.
            this.skipped += 1;
            this.hdrLen = 0;
            this.enterResync();
            this.resyncAppendAndScan(h, 1, FRAME_HEADER_LENGTH, false);
            this.push(bytes.subarray(p, n));
            return;
          }
          this.hdrLen = 0;
          this.type = h[3];
          this.flags = h[4];
          this.streamId = ((h[5] & 0x7f) << 24) | (h[6] << 16) | (h[7] << 8) | h[8];
          if (len === 0) {
            this.onFrame(this.type, this.flags, this.streamId, this.asm.subarray(0, 0));
            continue;
          }
          if (n - p >= len) {
            const start = p;
            p += len;
            this.onFrame(this.type, this.flags, this.streamId, bytes.subarray(start, p));
            continue;
          }
          this.asm = new Uint8Array(len);
          this.asmLen = 0;
          this.state = State.PAYLOAD;
          break;
        }
        case State.PAYLOAD: {
          const take = Math.min(this.asm.length - this.asmLen, n - p);
          this.asm.set(bytes.subarray(p, p + take), this.asmLen);
          this.asmLen += take;
          p += take;
          if (this.asmLen === this.asm.length) {
            const payload = this.asm;
            this.asm = EMPTY;
            this.asmLen = 0;
            this.state = State.HEADER;
            this.onFrame(this.type, this.flags, this.streamId, payload);
          }
          break;
        }
        case State.DISCARD: {
          const take = Math.min(this.discard, n - p);
          this.discard -= take;
          this.skipped += take;
          p += take;
          if (this.discard === 0) {
            this.state = State.HEADER;
            this.flushSkipped();
          }
          break;
        }
        case State.RESYNC:
          this.resyncAppendAndScan(bytes, p, n, false);
          return;
      }
    }
  }

  /**
   * `lost` bytes of the direction are missing (-1: unknown). If the count is known and the gap falls inside
   * one frame's payload, or ends exactly at that frame's end, framing is kept (the next byte is where the
   * frame's header said the next frame starts) and that frame is dropped; its skipped bytes are told before
   * the next frame. Otherwise the gap may have swallowed frame headers, and the parser resynchronises.
   */
  lost(lost: number): GapOutcome {
    if (this.state === State.PAYLOAD && lost >= 0 && lost <= this.asm.length - this.asmLen) {
      // DISCARD of 0 bytes when the gap ends at the frame's end: the skip is told on the next push.
      this.discard = this.asm.length - this.asmLen - lost;
      this.skipped += this.asmLen + FRAME_HEADER_LENGTH;
      this.skippedType = this.type;
      this.skippedStreamId = this.streamId;
      this.asm = EMPTY;
      this.asmLen = 0;
      this.state = State.DISCARD;
      return { framingKept: true, damagedType: this.type, damagedFlags: this.flags, damagedStreamId: this.streamId, lostInStream: this.streamOnly() };
    }
    if (this.state === State.DISCARD && lost >= 0 && lost <= this.discard) {
      // Already damaged and reported.
      this.discard -= lost;
      return { framingKept: true, damagedType: -1, damagedFlags: 0, damagedStreamId: 0, lostInStream: this.streamOnly() };
    }
    if (this.state === State.HEADER && this.hdrLen === 0 && lost === 0) {
      return { framingKept: true, damagedType: -1, damagedFlags: 0, damagedStreamId: 0, lostInStream: 0 };
    }
    // The damaged frame's bytes and what follows are now of unknown attribution.
    this.skippedType = -1;
    if (this.state === State.PAYLOAD) this.skipped += this.asmLen + FRAME_HEADER_LENGTH;
    if (this.state === State.HEADER) this.skipped += this.hdrLen;
    this.asm = EMPTY;
    this.asmLen = 0;
    this.hdrLen = 0;
    if (this.state !== State.RESYNC) this.enterResync();
    else {
      // Bytes before the gap cannot be followed by a frame that continues after it.
      this.skipped += this.winLen;
      this.winLen = 0;
      this.scanPos = 0;
    }
    return { framingKept: false, damagedType: -1, damagedFlags: 0, damagedStreamId: 0, lostInStream: 0 };
  }

  /** The stream a loss inside the current frame concerns alone (see GapOutcome.lostInStream), or 0. */
  private streamOnly(): number {
    const t = this.type;
    if (this.streamId === 0 || t === FrameType.HEADERS || t === FrameType.CONTINUATION || t === FrameType.PUSH_PROMISE) return 0;
    return this.streamId;
  }

  /** The direction is over: bytes held in a partial frame or the resync window are counted as skipped. */
  end(): void {
    if (this.state === State.RESYNC && this.winLen > 0) {
      // Last chance: a candidate whose frame ends exactly where the data ends is believed.
      this.resyncAppendAndScan(EMPTY, 0, 0, true);
    }
    if (this.state === State.PAYLOAD) this.skipped += this.asmLen + FRAME_HEADER_LENGTH;
    else if (this.state === State.HEADER) this.skipped += this.hdrLen;
    else if (this.state === State.RESYNC) this.skipped += this.winLen;
    this.asm = EMPTY;
    this.asmLen = 0;
    this.hdrLen = 0;
    this.win = null;
    this.winLen = 0;
    this.state = State.HEADER;
    this.flushSkipped();
  }

  /** In-sync check: framing is lost when the length is too large or breaks a fixed size of §6. */
  private frameSane(len: number, type: number, flags: number): boolean {
    if (len > this.maxFrameSize) return false;
    return fixedLengthOk(type, flags, len);
  }

  /** Resync check on 9 octets at `off` of `b`. */
  private plausibleAt(b: Uint8Array, off: number): boolean {
    const type = b[off + 3];
    if (type > LAST_KNOWN_FRAME_TYPE) return false;
    const flags = b[off + 4];
    if ((flags & ~DEFINED_FLAGS[type]) !== 0) return false;
    if (b[off + 5] & 0x80) return false; // reserved bit (§4.1): real stacks leave it clear
    const len = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
    if (len > this.plausibleMaxLength || !fixedLengthOk(type, flags, len)) return false;
    const sid = (b[off + 5] << 24) | (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8];
    if (type === FrameType.SETTINGS || type === FrameType.PING || type === FrameType.GOAWAY) {
      if (sid !== 0) return false;
    } else if (type !== FrameType.WINDOW_UPDATE && sid === 0) {
      return false;
    }
    if (flags & FrameFlag.PADDED && len === 0) return false;
    if (type === FrameType.HEADERS && flags & FrameFlag.PRIORITY && len < 5) return false;
    if (type === FrameType.PUSH_PROMISE && len < 4) return false;
    return this.plausibleStream ? this.plausibleStream(type, flags, sid) : true;
  }

  private enterResync(): void {
    this.state = State.RESYNC;
    this.win ??= new Uint8Array(RESYNC_WINDOW_BYTES);
    this.winLen = 0;
    this.scanPos = 0;
  }

  /**
   * Append `bytes[p:n]` to the window, scanning as it fills; on a confirmed header, leave RESYNC and push
   * the rest through the normal path. `final`: no more bytes will come (see `scan`).
   */
  private resyncAppendAndScan(bytes: Uint8Array, p: number, n: number, final: boolean): void {
    const win = this.win as Uint8Array;
    for (;;) {
      const take = Math.min(win.length - this.winLen, n - p);
      win.set(bytes.subarray(p, p + take), this.winLen);
      this.winLen += take;
      p += take;
      const at = this.scan(final && p >= n);
      if (at >= 0) {
        this.skipped += at;
        const rest = win.slice(at, this.winLen);
        this.winLen = 0;
        this.scanPos = 0;
        this.state = State.HEADER;
        this.win = null;
        this.flushSkipped();
        this.push(rest);
        if (p < n) this.push(bytes.subarray(p, n));
        return;
      }
      // Drop what the scan has passed over; keep the candidate (or the last 8 octets) and what follows.
      if (this.scanPos > 0) {
        this.skipped += this.scanPos;
        win.copyWithin(0, this.scanPos, this.winLen);
        this.winLen -= this.scanPos;
        this.scanPos = 0;
      }
      if (p >= n) return;
    }
  }

  /**
   * Position in the window of a trusted frame header, or -1 (then scanPos is where to go on from).
   *
   * A candidate is trusted when the header right after its frame is plausible too. One that cannot be
   * judged yet (its frame runs past the bytes we have) makes us wait, unless a later candidate is strongly
   * confirmed: a chain of RESYNC_STRONG_CHAIN plausible headers, or a chain that ends exactly where the
   * bytes end (segments usually end on frame boundaries). So a false candidate announcing a long frame does
   * not hold up the real frames after it, while a true long frame is not cut by a weak match in its payload.
   */
  private scan(final: boolean): number {
    const win = this.win as Uint8Array;
    const have = this.winLen;
    let pending = -1;
    let pos = this.scanPos;
    for (; pos + FRAME_HEADER_LENGTH <= have; pos++) {
      if (!this.plausibleAt(win, pos)) continue;
      // Walk the chain of headers from pos.
      let links = 1;
      let q = pos + FRAME_HEADER_LENGTH + frameLength(win, pos);
      while (links < RESYNC_STRONG_CHAIN && q + FRAME_HEADER_LENGTH <= have && this.plausibleAt(win, q)) {
        links++;
        q += FRAME_HEADER_LENGTH + frameLength(win, q);
      }
      const exact = q === have;
      const ranOut = q + FRAME_HEADER_LENGTH > have; // the chain's last frame could not be checked further
      if (links >= RESYNC_STRONG_CHAIN || (exact && links >= 2)) return pos;
      if (links >= 2 && pending < 0) return pos;
      if (links === 1 && ranOut) {
        // Cannot judge yet. At the very end of the data, a frame ending exactly there is believed.
        if (final && exact) return pos;
        if (pending < 0) pending = pos;
      }
      // links >= 2 behind a pending candidate, but not strongly: keep looking for a strong one.
    }
    if (pending >= 0) {
      // A candidate too long to be confirmed inside the window is believed once the window is full.
      const len = frameLength(win, pending);
      if (pending === 0 && have === win.length && FRAME_HEADER_LENGTH * 2 + len > win.length) return 0;
      this.scanPos = pending;
      return -1;
    }
    this.scanPos = pos;
    return -1;
  }
}

/** Plausible headers in a row that confirm a frame boundary even behind a pending candidate. */
const RESYNC_STRONG_CHAIN = 3;

function frameLength(b: Uint8Array, off: number): number {
  return (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
}

const EMPTY = new Uint8Array(0);

/** Fixed payload sizes of §6 (beyond them a receiver would fail with FRAME_SIZE_ERROR). */
function fixedLengthOk(type: number, flags: number, len: number): boolean {
  switch (type) {
    case FrameType.PRIORITY:
      return len === 5; // §6.3
    case FrameType.RST_STREAM:
    case FrameType.WINDOW_UPDATE:
      return len === 4; // §6.4, §6.9
    case FrameType.SETTINGS:
      return flags & FrameFlag.ACK ? len === 0 : len % SETTINGS_ENTRY_LENGTH === 0; // §6.5
    case FrameType.PING:
      return len === 8; // §6.7
    case FrameType.GOAWAY:
      return len >= 8; // §6.8
    default:
      return true;
  }
}
