/**
 * The detector: one `ConnectionHandler` per TCP connection that holds the first bytes of both directions
 * until a dissector (./types.ts) claims the connection, then hands it everything held, in order, and steps
 * aside (each later call is forwarded as it is). A connection that no dissector claims is counted, with its
 * port, and its bytes are dropped.
 *
 * Common case: the first chunk of the first direction is conclusive, and it is forwarded without a copy.
 */
import type { CloseReason, ConnectionHandler, Direction, HandlerFactory, TcpConnection } from '../tcp/types';
import type { DetectCounters, DetectView, Dissector } from './types';
import { newDetectCounters } from './types';
import { classifyUnrecognised, countUnrecognised } from './unrecognised';

/**
 * Bytes held per connection (both directions) while no dissector has decided. Reaching it makes the question
 * final: each dissector must then answer yes or no from what it has.
 */
export const DETECT_BUFFER_BYTES = 64 * 1024;

/** A data or gap event held while detecting. */
interface Held {
  dir: Direction;
  /** null: a gap of `lost` bytes. */
  bytes: Uint8Array | null;
  lost: number;
  frame: number;
  tsSec: number;
  tsNsec: number;
}

/** A detecting HandlerFactory that also exposes its counters (for the summary). */
export interface DetectorFactory extends HandlerFactory {
  readonly counters: DetectCounters;
}

/** Ask `dissectors`, in order, about every connection. */
export function detectorFactory(dissectors: readonly Dissector[], counters: DetectCounters = newDetectCounters()): DetectorFactory {
  const factory = (conn: TcpConnection): ConnectionHandler => new Detector(conn, dissectors, counters);
  return Object.assign(factory, { counters });
}

const EMPTY = new Uint8Array(0);

export class Detector implements ConnectionHandler {
  private chosen: ConnectionHandler | null = null;
  private done = false;
  private held: Held[] = [];
  private heldBytes = 0;
  /** The first bytes of each direction, copied into buffers that grow by doubling up to the hold limit. */
  private readonly heads: [Uint8Array, Uint8Array] = [EMPTY, EMPTY];
  private readonly headBufs: [Uint8Array, Uint8Array] = [EMPTY, EMPTY];
  private readonly startLost: [boolean, boolean] = [false, false];

  constructor(
    private readonly conn: TcpConnection,
    private readonly dissectors: readonly Dissector[],
    private readonly counters: DetectCounters,
  ) {}

  data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    if (this.chosen !== null) return this.chosen.data(dir, bytes, frame, tsSec, tsNsec);
    if (this.done || bytes.length === 0) return;
    if (this.held.length === 0 && this.heads[dir].length === 0) {
      // Nothing held yet: probe this chunk as it is, and copy it only if the answer is "more".
      const other = (1 - dir) as Direction;
      const heads: [Uint8Array, Uint8Array] = dir === 0 ? [bytes, this.heads[other]] : [this.heads[other], bytes];
      if (this.decide(heads, false)) return this.chosen!.data(dir, bytes, frame, tsSec, tsNsec);
      if (this.done) return;
    }
    const room = DETECT_BUFFER_BYTES - this.heldBytes;
    const copy = bytes.slice();
    this.held.push({ dir, bytes: copy, lost: 0, frame, tsSec, tsNsec });
    this.heldBytes += copy.length;
    if (room > 0) this.appendHead(dir, copy.subarray(0, room));
    this.settle(this.heldBytes >= DETECT_BUFFER_BYTES);
  }

  gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    if (this.chosen !== null) return this.chosen.gap(dir, lost, frame, tsSec, tsNsec);
    if (this.done) return;
    if (this.heads[dir].length === 0) this.startLost[dir] = true;
    this.held.push({ dir, bytes: null, lost, frame, tsSec, tsNsec });
    this.settle(false);
  }

  close(reason: CloseReason): void {
    if (this.chosen === null && !this.done) this.settle(true);
    if (this.chosen !== null) this.chosen.close(reason);
    this.held = [];
  }

  /** Probe what is held; on a claim, replay it into the new handler. */
  private settle(final: boolean): void {
    if (!this.decide(this.heads, final)) return;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.heads[0] = this.heads[1] = this.headBufs[0] = this.headBufs[1] = EMPTY;
    const h = this.chosen!;
    for (const e of held) {
      if (e.bytes === null) h.gap(e.dir, e.lost, e.frame, e.tsSec, e.tsNsec);
      else h.data(e.dir, e.bytes, e.frame, e.tsSec, e.tsNsec);
    }
  }

  /** True when a dissector claimed the connection (`chosen` is set); `done` when none can. */
  private decide(heads: [Uint8Array, Uint8Array], final: boolean): boolean {
    if (heads[0].length === 0 && heads[1].length === 0 && !final) return false;
    const view: DetectView = { conn: this.conn, head: (d) => heads[d], startLost: this.startLost, final };
    let waiting = false;
    for (const d of this.dissectors) {
      const claim = d.probe(view);
      if (claim === 'yes') {
        this.chosen = d.create(this.conn, view);
        this.counters.claimed[d.name] = (this.counters.claimed[d.name] ?? 0) + 1;
        return true;
      }
      // An earlier dissector that needs more bytes is asked again before a later one may claim. When the
      // question is final, "more" counts as "no".
      if (claim === 'more' && !final) {
        waiting = true;
        break;
      }
    }
    if (waiting) return false;
    this.unrecognised(heads);
    this.done = true;
    this.held = [];
    this.heldBytes = 0;
    this.heads[0] = this.heads[1] = this.headBufs[0] = this.headBufs[1] = EMPTY;
    return false;
  }

  private appendHead(dir: Direction, b: Uint8Array): void {
    const len = this.heads[dir].length;
    let buf = this.headBufs[dir];
    if (len + b.length > buf.length) {
      const grown = new Uint8Array(Math.min(DETECT_BUFFER_BYTES, Math.max(len + b.length, buf.length * 2, 256)));
      grown.set(this.heads[dir], 0);
      buf = this.headBufs[dir] = grown;
    }
    buf.set(b, len);
    this.heads[dir] = buf.subarray(0, len + b.length);
  }

  /** Counted for the summary, with why: a connection with bytes is never dropped in silence. */
  private unrecognised(heads: [Uint8Array, Uint8Array]): void {
    const kind = classifyUnrecognised(heads, [heads[0].length, heads[1].length], this.startLost, this.conn.synSeen);
    if (kind !== null) countUnrecognised(this.counters.unrecognised, kind, this.conn.endpoints, this.conn.synSeen);
  }
}
