/**
 * One direction of an HTTP/1.1 connection as a push-style state machine (RFC 9112): message heads, then
 * bodies framed by Content-Length, chunked transfer coding (with a trailer section), or the connection's
 * close; message after message on one connection (keep-alive, pipelining).
 *
 * Bytes go in with `push()`; events come out through the `MessageEvents` callbacks: the head (start line and
 * header fields), body bytes (zero-copy views, already de-chunked), the trailer section, and the message's
 * end. Only the head, a chunk-size line and a trailer section are copied; their sizes are bounded
 * (MAX_HEAD_BYTES, MAX_CHUNK_LINE_BYTES): past a bound the direction stops with `error()`.
 */

/** Largest message head (start line + header section) kept; past it the direction is abandoned. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line (size, extensions, CRLF) accepted. */
export const MAX_CHUNK_LINE_BYTES = 1024;

export type HeaderField = [name: string, value: string];

export interface MessageHead {
  /** Request: method, target; response: status. */
  method?: string;
  target?: string;
  status?: number;
  /** HTTP-version, e.g. HTTP/1.1. */
  version: string;
  /** Field names in lower case, values trimmed, in the order sent. */
  fields: HeaderField[];
}

/** How the body of the message whose head was just read is framed (RFC 9112 §6.3). */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export interface MessageEvents {
  /** A head was read; the answer says how its body is framed (or 'none'). */
  head(head: MessageHead): BodyFraming;
  body(bytes: Uint8Array): void;
  trailers(fields: HeaderField[]): void;
  /** The message is complete (its body and trailers, if any). */
  end(): void;
  /** The direction cannot be parsed further (bad syntax, a bound reached); later bytes are ignored. */
  error(reason: string): void;
}

const enum State {
  HEAD,
  BODY_LENGTH,
  CHUNK_SIZE,
  CHUNK_DATA,
  CHUNK_DATA_CRLF,
  TRAILERS,
  BODY_CLOSE,
  STOPPED,
}

const CR = 0x0d;
const LF = 0x0a;

export class Http1Parser {
  private state = State.HEAD;
  private buf = new Uint8Array(0);
  private bufLen = 0;
  private left = 0;

  constructor(private readonly events: MessageEvents) {}

  get stopped(): boolean {
    return this.state === State.STOPPED;
  }

  /** No more bytes will come: a body read until close ends here; anything else unfinished is reported. */
  end(): void {
    if (this.state === State.BODY_CLOSE) {
      this.state = State.HEAD;
      this.events.end();
    } else if (this.state !== State.HEAD && this.state !== State.STOPPED) {
      this.stop('message cut short by the end of the connection');
    } else if (this.state === State.HEAD && this.bufLen > 0) {
      this.stop('message head cut short by the end of the connection');
    }
  }

  /** Give up this direction (a gap: where messages start again is not known). */
  stop(reason: string): void {
    if (this.state === State.STOPPED) return;
    this.state = State.STOPPED;
    this.buf = new Uint8Array(0);
    this.bufLen = 0;
    this.events.error(reason);
  }

  push(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      switch (this.state) {
        case State.STOPPED:
          return;
        case State.HEAD:
        case State.TRAILERS: {
          const used = this.takeSection(bytes, off);
          if (used < 0) return; // all taken, section not complete
          off = used;
          break;
        }
        case State.BODY_LENGTH: {
          const n = Math.min(this.left, bytes.length - off);
          this.events.body(bytes.subarray(off, off + n));
          off += n;
          this.left -= n;
          if (this.left === 0) this.finishMessage();
          break;
        }
        case State.BODY_CLOSE:
          this.events.body(off === 0 ? bytes : bytes.subarray(off));
          return;
        case State.CHUNK_SIZE: {
          const used = this.takeLine(bytes, off, MAX_CHUNK_LINE_BYTES, 'chunk-size line');
          if (used < 0) return;
          off = used;
          const line = latin1(this.buf, 0, this.bufLen - 2);
          this.bufLen = 0;
          const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
          if (m === null) return this.stop(`invalid chunk size "${line.slice(0, 40)}"`);
          this.left = parseInt(m[1], 16);
          this.state = this.left === 0 ? State.TRAILERS : State.CHUNK_DATA;
          break;
        }
        case State.CHUNK_DATA: {
          const n = Math.min(this.left, bytes.length - off);
          this.events.body(bytes.subarray(off, off + n));
          off += n;
          this.left -= n;
          if (this.left === 0) {
            this.state = State.CHUNK_DATA_CRLF;
            this.left = 2;
          }
          break;
        }
        case State.CHUNK_DATA_CRLF: {
          const want = this.left === 2 ? CR : LF;
          if (bytes[off] !== want) return this.stop('chunk data not followed by CRLF');
          off++;
          if (--this.left === 0) this.state = State.CHUNK_SIZE;
          break;
        }
      }
    }
  }

  /**
   * Collect a head or trailer section up to its empty line. Returns the offset after it, or -1 when every
   * byte was taken and the section is not complete yet.
   */
  private takeSection(bytes: Uint8Array, off: number): number {
    // A trailer section with no fields is just CRLF.
    for (let i = off; i < bytes.length; i++) {
      this.append(bytes[i]);
      if (this.bufLen > MAX_HEAD_BYTES) {
        this.stop(`message head over ${MAX_HEAD_BYTES} bytes`);
        return -1;
      }
      const n = this.bufLen;
      const b = this.buf;
      if (b[n - 1] !== LF) continue;
      // Empty lines before a request line are allowed (RFC 9112 §2.2).
      if (this.state === State.HEAD && (n === 1 || (n === 2 && b[0] === CR))) {
        this.bufLen = 0;
        continue;
      }
      const endsSection =
        (this.state === State.TRAILERS && (n === 2 && b[0] === CR || n === 1)) ||
        (n >= 2 && b[n - 2] === LF) ||
        (n >= 4 && b[n - 2] === CR && b[n - 3] === LF && b[n - 4] === CR);
      if (!endsSection) continue;
      const text = latin1(b, 0, n);
      this.bufLen = 0;
      if (this.state === State.TRAILERS) {
        const fields = parseFields(text.split(/\r?\n/));
        if (fields === null) {
          this.stop('invalid trailer section');
          return -1;
        }
        if (fields.length > 0) this.events.trailers(fields);
        this.finishMessage();
      } else {
        this.onHead(text);
      }
      return i + 1;
    }
    return -1;
  }

  private onHead(text: string): void {
    const lines = text.split(/\r?\n/);
    const start = lines[0];
    let head: MessageHead;
    const resp = /^(HTTP\/1\.[01]) ([0-9]{3})(?: .*)?$/.exec(start);
    if (resp !== null) {
      head = { version: resp[1], status: Number(resp[2]), fields: [] };
    } else {
      const req = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/.exec(start);
      if (req === null) return this.stop(`not an HTTP/1.x start line: "${start.slice(0, 40)}"`);
      head = { method: req[1], target: req[2], version: req[3], fields: [] };
    }
    const fields = parseFields(lines.slice(1));
    if (fields === null) return this.stop('invalid header field line');
    head.fields = fields;
    const framing = this.events.head(head);
    switch (framing.kind) {
      case 'none':
        this.finishMessage();
        return;
      case 'length':
        if (framing.length === 0) return this.finishMessage();
        this.left = framing.length;
        this.state = State.BODY_LENGTH;
        return;
      case 'chunked':
        this.state = State.CHUNK_SIZE;
        return;
      case 'close':
        this.state = State.BODY_CLOSE;
        return;
    }
  }

  private finishMessage(): void {
    this.state = State.HEAD;
    this.events.end();
  }

  private takeLine(bytes: Uint8Array, off: number, max: number, what: string): number {
    for (let i = off; i < bytes.length; i++) {
      this.append(bytes[i]);
      if (this.bufLen > max) {
        this.stop(`${what} over ${max} bytes`);
        return -1;
      }
      if (bytes[i] === LF) {
        if (this.bufLen < 2 || this.buf[this.bufLen - 2] !== CR) {
          this.stop(`${what} not ended by CRLF`);
          return -1;
        }
        return i + 1;
      }
    }
    return -1;
  }

  private append(b: number): void {
    if (this.bufLen === this.buf.length) {
      const grown = new Uint8Array(Math.max(256, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf[this.bufLen++] = b;
  }
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** `name: value` lines up to the first empty one; null when a line is not a field (obs-fold is refused). */
function parseFields(lines: string[]): HeaderField[] | null {
  const out: HeaderField[] = [];
  for (const line of lines) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /[ \t]/.test(line[0])) return null;
    const name = line.slice(0, colon);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return null;
    out.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}
