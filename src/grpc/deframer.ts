/**
 * Length-prefixed messages (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"):
 *
 *     Length-Prefixed-Message → Compressed-Flag Message-Length Message
 *     Compressed-Flag → 0 / 1   ; 1 byte
 *     Message-Length → {length of Message}   ; 4 bytes, big-endian
 *
 * One deframer per call and direction, fed the payloads of that stream's DATA frames in order, split
 * anywhere. Push style: `push()` calls `onMessage` synchronously for every message it completes.
 *
 * Memory: a message that lies inside one push is handed out as a zero-copy view of the pushed bytes; one
 * that spans pushes is copied piecewise as its bytes arrive (never preallocated from the declared length, so
 * a prefix that lies costs only the bytes that really come). A declared length above `maxMessageBytes` is
 * not buffered at all: its bytes are counted as they pass and the message is reported as too large.
 * A deframer made with `keepBytes` false (a consumer that only counts messages) buffers nothing: every
 * message is handed out with `bytes: null`, its length and flag only.
 */

/** 5 bytes: Compressed-Flag (1) + Message-Length (4). */
export const PREFIX_BYTES = 5;

/**
 * Default largest message kept for decoding (`--max-message-size`): 64 MiB. gRPC implementations default to
 * receiving 4 MiB, but servers raise it; 64 MiB covers those while bounding what one call may buffer.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface DeframedMessage {
  /** Compressed-Flag: 1 means the message is compressed with the direction's grpc-encoding. */
  compressed: boolean;
  /** Message-Length as declared (bytes after the prefix). */
  length: number;
  /**
   * The message bytes, or null when `length` exceeded the limit and the bytes were skipped. A view valid
   * only during the onMessage call when the message lay inside one push.
   */
  bytes: Uint8Array | null;
  /** The Compressed-Flag byte when it was neither 0 nor 1 (a framing error), else undefined. */
  badFlag?: number;
}

export type MessageCallback = (m: DeframedMessage) => void;

/** What is left of an unfinished message when the stream ends. */
export interface PendingMessage {
  /** Bytes of the 5-byte prefix received when the prefix itself is incomplete, else 5. */
  prefixBytes: number;
  /** Declared length (when the prefix is complete), else -1. */
  length: number;
  /** Message bytes received after the prefix. */
  received: number;
}

/**
 * While resynchronising, the largest declared length believed for a message that continues past the DATA
 * frame it starts in: gRPC's default receive limit (4 MiB). A message that ends inside its frame is checked
 * by its end instead.
 */
export const RESYNC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** While resynchronising, a message may continue past its frame only when the frame is this full (16 KiB). */
const RESYNC_FULL_FRAME_BYTES = 16_384;

export class MessageDeframer {
  /**
   * True while the first bytes pushed may be in the middle of a message (the stream was joined midway):
   * each push (one DATA frame's payload) is skipped until one starts with prefixes that fit (see `fits`).
   */
  private syncing = false;
  /** Bytes passed over while resynchronising, not yet taken by `takeSkipped`. */
  private skippedBytes = 0;
  /** A prefix split across pushes is gathered here (allocated on first need: most prefixes lie in one push). */
  private prefix: Uint8Array | null = null;
  private prefixHave = 0;
  /** Declared length of the message being read, -1 while reading a prefix. */
  private length = -1;
  private compressedFlag = 0;
  /** Message bytes received so far (buffered in `chunks`, or only counted when skipping). */
  private received = 0;
  private skipping = false;
  /** Pieces of a message split across pushes (null while there are none: no array per message). */
  private chunks: Uint8Array[] | null = null;

  constructor(
    readonly maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
    /** False: messages are counted, not kept (every one comes out with `bytes: null`). */
    readonly keepBytes = true,
  ) {}

  /** Do not trust the next bytes to begin a message; see `syncing`. */
  resync(): void {
    this.reset();
    this.syncing = true;
  }

  /** Bytes skipped to find a message boundary since the last call (0 if none). */
  takeSkipped(): number {
    const n = this.skippedBytes;
    this.skippedBytes = 0;
    return n;
  }

  push(data: Uint8Array, onMessage: MessageCallback): void {
    if (this.syncing) {
      if (!startsMessages(data, this.maxMessageBytes)) {
        this.skippedBytes += data.length;
        return;
      }
      this.syncing = false;
    }
    let pos = 0;
    const end = data.length;
    while (pos < end) {
      if (this.length < 0) {
        // Fast path: a whole prefix in this push.
        if (this.prefixHave === 0 && end - pos >= PREFIX_BYTES) {
          this.startMessage(data[pos], readUint32BE(data, pos + 1));
          pos += PREFIX_BYTES;
        } else {
          const n = Math.min(PREFIX_BYTES - this.prefixHave, end - pos);
          const prefix = this.prefix ?? (this.prefix = new Uint8Array(PREFIX_BYTES));
          for (let i = 0; i < n; i++) prefix[this.prefixHave + i] = data[pos + i];
          this.prefixHave += n;
          pos += n;
          if (this.prefixHave < PREFIX_BYTES) return;
          this.startMessage(prefix[0], readUint32BE(prefix, 1));
        }
        // Zero-copy: the whole message is inside this push.
        if (!this.skipping && this.received === 0 && end - pos >= this.length) {
          const bytes = data.subarray(pos, pos + this.length);
          pos += this.length;
          this.emit(bytes, onMessage);
          continue;
        }
      }
      const n = Math.min(this.length - this.received, end - pos);
      // Copy: `data` is only valid during this call and the message continues in a later push. (Not
      // `data.slice`: on a Buffer that is a view, which would pin the whole input chunk under it.)
      if (!this.skipping) {
        const piece = new Uint8Array(n);
        piece.set(data.subarray(pos, pos + n));
        (this.chunks ??= []).push(piece);
      }
      this.received += n;
      pos += n;
      if (this.received === this.length) {
        if (this.skipping) this.emit(null, onMessage);
        else {
          const chunks = this.chunks ?? [];
          const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.length);
          this.emit(bytes, onMessage);
        }
      }
    }
  }

  /** The unfinished message, if the bytes pushed so far end inside one. */
  pending(): PendingMessage | null {
    if (this.length < 0) {
      return this.prefixHave === 0 ? null : { prefixBytes: this.prefixHave, length: -1, received: 0 };
    }
    return { prefixBytes: PREFIX_BYTES, length: this.length, received: this.received };
  }

  /** Forgets any unfinished message (e.g. after lost bytes), freeing what it buffered. */
  reset(): void {
    this.prefixHave = 0;
    this.length = -1;
    this.received = 0;
    this.skipping = false;
    this.chunks = null;
  }

  private startMessage(flag: number, length: number): void {
    this.compressedFlag = flag;
    this.length = length;
    this.received = 0;
    this.skipping = !this.keepBytes || length > this.maxMessageBytes;
  }

  private emit(bytes: Uint8Array | null, onMessage: MessageCallback): void {
    const m: DeframedMessage = { compressed: this.compressedFlag === 1, length: this.length, bytes };
    if (this.compressedFlag > 1) m.badFlag = this.compressedFlag;
    this.reset();
    onMessage(m);
  }
}

/**
 * Does a DATA payload begin at a message boundary? Its prefixes (flag 0 or 1, then a length) must chain to
 * the payload's end exactly, or the last message must continue past a full frame with a believable length.
 */
function startsMessages(data: Uint8Array, maxMessageBytes: number): boolean {
  let p = 0;
  while (p + PREFIX_BYTES <= data.length) {
    if (data[p] > 1) return false;
    const len = readUint32BE(data, p + 1);
    const next = p + PREFIX_BYTES + len;
    if (next === data.length) return true;
    if (next > data.length) {
      return data.length >= RESYNC_FULL_FRAME_BYTES && len <= Math.min(maxMessageBytes, RESYNC_MAX_MESSAGE_BYTES);
    }
    p = next;
  }
  return false;
}

function readUint32BE(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}
