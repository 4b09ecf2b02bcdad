/**
 * TCP reassembly (model: gopacket's tcpassembly; contract: ./types.ts).
 *
 * Feed `segment()` every TCP segment in capture order. Each conversation gets a number the way Wireshark's
 * `tcp.stream` counts them, and one handler from the factory; the handler receives each direction's bytes
 * in sequence order, each byte once, and is told how many bytes were given up when a hole cannot be filled.
 *
 * Choices, in the words of the contract:
 * - Conversations are numbered like tshark 4.0: 0, 1, 2… in order of first packet. A SYN (without ACK)
 *   whose sequence number differs from the one tracked for its direction starts a new conversation on the
 *   same 4-tuple, whether or not the old one was seen to close (the old one, if still open, is closed with
 *   'end'). The tracked number is Wireshark's `base_seq`: the SYN's sequence number, or one less than the
 *   first non-SYN segment's, or the first acknowledgment number seen from the peer minus one.
 * - `endpoints[0]` is the client: the sender of a SYN without ACK, or the receiver of a SYN-ACK seen before
 *   any SYN (`synSeen` is true in both cases); with no handshake seen it is the sender of the first packet
 *   and `synSeen` is false.
 * - A direction's stream starts after its SYN; or, when only the peer's SYN (or SYN-ACK) was seen, at the
 *   number the peer acknowledges; or else at the first segment of that direction that carries data or FIN
 *   (a pure ACK's sequence number may sit one below the data, as keep-alives do). No gap is reported for a
 *   start that was not captured: `synSeen` false tells the layer above it joined mid-stream. Segments that
 *   arrive later with numbers before that start count as retransmissions.
 * - Out-of-order segments are copied and wait. Where bytes overlap, the first received win (as Wireshark);
 *   the rest count as `retransmittedBytes`. In-order bytes are passed to the handler as the packet's own
 *   view (zero-copy).
 * - A hole is given up, with `gap(dir, lost)` (lost exact, or -1 when unknown), when: a FIN or RST arrives
 *   with a hole before it; the oldest segment waiting behind it has waited more than `gapTimeoutSec` of
 *   capture time; a buffer limit is reached; the connection is closed ('idle', 'evicted', 'end'); or a
 *   segment arrives after one that the snap length cut short (the cut bytes cannot come back: the hole up
 *   to the new segment is exactly what was cut).
 * - Frames: bytes a packet delivers in order, and waiting bytes it makes contiguous, carry that packet's
 *   frame and time. Bytes delivered because a hole was given up carry the frame and time of the packet that
 *   carried them (no packet filled anything), and `gap()` carries those of the first packet after the hole.
 * - Closed conversations (FIN both ways, or RST) are kept, without buffers or handler, for
 *   `closedLingerSec` of capture time (at most `maxClosedConnections` of them) so that trailing ACKs and
 *   retransmissions are attributed to them; their payload is not delivered again. Connections closed as
 *   'idle' or 'evicted' are forgotten at once: if their traffic resumes it starts a new connection.
 */
import type { TcpSegment } from '../net/types';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../net/types';
import type {
  AssemblerCounters,
  AssemblerOptions,
  CloseReason,
  ConnectionHandler,
  Direction,
  HandlerFactory,
  TcpConnection,
} from './types';
import { seqAdd, seqDiff } from './seq';
import { WaitingSegments, type Waiting } from './waiting';

/**
 * Bookkeeping charged to the buffer limits for each waiting segment on top of its bytes, so that memory
 * stays bounded however small the segments are (a waiting segment costs about this much beyond its bytes).
 */
export const WAITING_SEGMENT_OVERHEAD = 64;
/**
 * Out-of-order bytes one direction may hold (each waiting segment also charged WAITING_SEGMENT_OVERHEAD);
 * past it its first hole is given up (gap), then the next, until it fits.
 */
export const DEFAULT_MAX_BUFFERED_BYTES_PER_DIRECTION = 4 * 1024 * 1024;
/**
 * Out-of-order bytes all connections may hold (charged like the per-direction limit); past it the holes of
 * the directions that have waited longest are given up first until it fits.
 */
export const DEFAULT_MAX_BUFFERED_BYTES_TOTAL = 32 * 1024 * 1024;
/**
 * Open connections tracked at once; a new one past it closes the least recently active ('evicted'). With
 * the layers above, a connection costs about 1.2 KB when it carries no bytes and about 7 KB as an HTTP/2
 * connection with a call open (measured): 20,000 fit the 256 MB budget of src/limits.ts.
 */
export const DEFAULT_MAX_CONNECTIONS = 20_000;
/** Capture-time seconds a segment may wait behind a hole; then the hole is given up (gap). */
export const DEFAULT_GAP_TIMEOUT_SEC = 10;
/** Capture-time seconds of silence before a connection is closed ('idle'); 0: never. */
export const DEFAULT_IDLE_TIMEOUT_SEC = 0;
/**
 * Capture-time seconds a closed conversation is remembered so trailing ACKs, retransmissions and a
 * retransmitted SYN are attributed to it (Linux TIME_WAIT lasts 60 s). Then it is forgotten.
 */
export const DEFAULT_CLOSED_LINGER_SEC = 60;
/** Closed conversations remembered at once; past it the oldest is forgotten. */
export const DEFAULT_MAX_CLOSED_CONNECTIONS = 65_536;

/** Options beyond the contract's: how long closed conversations are remembered. */
export interface AssemblerTuning extends AssemblerOptions {
  closedLingerSec?: number;
  maxClosedConnections?: number;
}

/** One direction of a connection. */
class Half {
  /** Wireshark's `base_seq`, used only to tell a new SYN from a retransmitted one. */
  baseSet = false;
  base = 0;
  /** Whether `next` is known (SYN seen, the peer's ACK after a handshake, or first data). */
  started = false;
  /** Started by its own SYN (or SYN-ACK): the peer's first ACK then tells where the peer's bytes start. */
  synStarted = false;
  /**
   * Started by the peer's ACK, and no segment of this half seen since: its own SYN may still come later in
   * the file (a capture merged from one file per direction, `mergecap -a`), and then it decides.
   */
  ackStarted = false;
  /** Sequence number of the next byte to deliver. */
  next = 0;
  finSeen = false;
  /** Sequence number the FIN occupies (valid when `finSeen` and not `finCut`). */
  finSeq = 0;
  /** The FIN came on a segment cut by the snap length: where it sits is unknown. */
  finCut = false;
  /** FIN delivered in order (or the direction was given up): nothing more will be delivered. */
  done = false;
  /** The last delivered bytes came from a segment the snap length cut: a hole follows them. */
  cutHole = false;
  /** Sorted by sequence number, not overlapping, all after `next`; made when the first segment waits. */
  waiting: WaitingSegments | null = null;
  waitingBytes = 0;
  /** `waitingBytes` plus WAITING_SEGMENT_OVERHEAD per waiting segment: what the limits count. */
  waitingCost = 0;
  /** Capture time the oldest waiting segment arrived. */
  waitingSince = 0;
  /** Whether this half is in the assembler's set of halves with waiting segments. */
  queued = false;

  constructor(readonly conn: Conn, readonly dir: Direction) {}
}

class Conn {
  readonly halves: [Half, Half];
  handler: ConnectionHandler | null = null;
  closed = false;
  lastSeen = 0;
  closedAt = 0;
  /** Intrusive doubly linked list: the open list (least recently active first) or the closed list. */
  prev: Conn | null = null;
  next: Conn | null = null;
  /** The next connection in the same hash bucket (same port pair). */
  bucketNext: Conn | null = null;

  constructor(readonly key: number, readonly info: TcpConnection) {
    this.halves = [new Half(this, 0), new Half(this, 1)];
  }
}

/** A doubly linked list of connections with O(1) append, removal and move-to-end. */
class ConnList {
  head: Conn | null = null;
  tail: Conn | null = null;
  size = 0;

  push(c: Conn): void {
    c.prev = this.tail;
    c.next = null;
    if (this.tail !== null) this.tail.next = c;
    else this.head = c;
    this.tail = c;
    this.size++;
  }

  remove(c: Conn): void {
    if (c.prev !== null) c.prev.next = c.next;
    else this.head = c.next;
    if (c.next !== null) c.next.prev = c.prev;
    else this.tail = c.prev;
    c.prev = c.next = null;
    this.size--;
  }

  touch(c: Conn): void {
    if (this.tail === c) return;
    this.remove(c);
    this.push(c);
  }
}

export class Assembler {
  readonly counters: AssemblerCounters = {
    connections: 0,
    segments: 0,
    retransmittedBytes: 0,
    outOfOrderSegments: 0,
    gaps: 0,
    bytesLost: 0,
    evictedConnections: 0,
  };

  private readonly maxPerDirection: number;
  private readonly maxTotal: number;
  private readonly maxConnections: number;
  private readonly gapTimeout: number;
  private readonly idleTimeout: number;
  private readonly closedLinger: number;
  private readonly maxClosed: number;

  /** Connections by port-pair key (see `portKey`), each bucket a chain told apart by addresses. */
  private readonly conns = new Map<number, Conn>();
  private readonly open = new ConnList();
  private readonly closedList = new ConnList();
  /** Halves with waiting segments, in the order they started waiting. */
  private readonly queue = new Set<Half>();
  private waitingTotal = 0;
  private waitingCostTotal = 0;
  /** Earliest capture time at which some waiting segment times out (Infinity: none waiting). */
  private gapDeadline = Infinity;
  private nextIndex = 0;
  private now = 0;

  constructor(private readonly factory: HandlerFactory, options: AssemblerTuning = {}) {
    this.maxPerDirection = limit(options.maxBufferedBytesPerDirection, DEFAULT_MAX_BUFFERED_BYTES_PER_DIRECTION);
    this.maxTotal = limit(options.maxBufferedBytesTotal, DEFAULT_MAX_BUFFERED_BYTES_TOTAL);
    this.maxConnections = Math.max(1, limit(options.maxConnections, DEFAULT_MAX_CONNECTIONS));
    this.gapTimeout = limit(options.gapTimeoutSec, DEFAULT_GAP_TIMEOUT_SEC);
    this.idleTimeout = limit(options.idleTimeoutSec, DEFAULT_IDLE_TIMEOUT_SEC);
    this.closedLinger = limit(options.closedLingerSec, DEFAULT_CLOSED_LINGER_SEC);
    this.maxClosed = limit(options.maxClosedConnections, DEFAULT_MAX_CLOSED_CONNECTIONS);
  }

  /** Open connections tracked now. */
  get openConnections(): number {
    return this.open.size;
  }

  /** Out-of-order bytes held now over all connections. */
  get bufferedBytes(): number {
    return this.waitingTotal;
  }

  /** Feed one segment; returns the conversation it belongs to (every TCP segment belongs to one). */
  segment(seg: TcpSegment): TcpConnection | undefined {
    this.counters.segments++;
    const pkt = seg.packet;
    const now = pkt.tsSec + pkt.tsNsec / 1e9;
    if (now > this.now) this.now = now;
    this.expire();

    const flags = seg.flags;
    const key = portKey(seg.srcPort, seg.dstPort);
    let conn = this.find(key, seg);
    let dir: Direction = 0;
    if (conn !== undefined) {
      dir = directionOf(conn.info, seg);
      const fwd = conn.halves[dir];
      // tshark: a SYN whose number differs from the direction's base_seq is a new conversation.
      if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && fwd.baseSet && seg.seq !== fwd.base) {
        this.forget(conn, 'end');
        conn = undefined;
      }
    }
    if (conn === undefined) {
      conn = this.create(key, seg);
      dir = directionOf(conn.info, seg);
    }

    // Wireshark's base_seq bookkeeping (tcp_analyze_sequence_number).
    const fwd = conn.halves[dir];
    if (!fwd.baseSet) {
      fwd.baseSet = true;
      fwd.base = flags & TCP_SYN ? seg.seq : seqAdd(seg.seq, -1);
    }
    const rev = conn.halves[dir ^ 1];
    if (!rev.baseSet && flags & TCP_ACK) {
      rev.baseSet = true;
      rev.base = seqAdd(seg.ack, -1);
    }

    if (conn.closed) return conn.info;
    conn.lastSeen = this.now;
    this.open.touch(conn);

    if (flags & TCP_ACK && !rev.started && fwd.synStarted && !(flags & TCP_RST)) {
      // The peer's SYN (or SYN-ACK) was missed, but this side's handshake was seen: what it acknowledges is
      // exactly where the peer's bytes start, so even a reordered first segment of the peer is kept.
      rev.started = true;
      rev.ackStarted = true;
      rev.next = seg.ack;
    }

    if (flags & TCP_RST) {
      this.close(conn, 'rst', true);
      return conn.info;
    }
    this.accept(fwd, seg);
    if (conn.halves[0].done && conn.halves[1].done && !conn.closed) this.close(conn, 'fin', true);
    return conn.info;
  }

  /** End of capture: give up every hole, deliver what can be, close every connection with 'end'. */
  flush(): void {
    const open: Conn[] = [];
    for (let c = this.open.head; c !== null; c = c.next) open.push(c);
    open.sort((a, b) => a.info.index - b.info.index);
    for (const c of open) this.close(c, 'end', false);
    this.conns.clear();
    this.closedList.head = this.closedList.tail = null;
    this.closedList.size = 0;
    this.gapDeadline = Infinity;
  }

  /** The tracked conversation (open or closed) of the segment's 4-tuple. */
  private find(key: number, seg: TcpSegment): Conn | undefined {
    for (let c: Conn | null | undefined = this.conns.get(key); c !== undefined && c !== null; c = c.bucketNext) {
      const e = c.info.endpoints;
      if (
        (e[0].port === seg.srcPort && e[1].port === seg.dstPort && e[0].addr === seg.src && e[1].addr === seg.dst) ||
        (e[1].port === seg.srcPort && e[0].port === seg.dstPort && e[1].addr === seg.src && e[0].addr === seg.dst)
      ) {
        return c;
      }
    }
    return undefined;
  }

  private unlink(c: Conn): void {
    let p: Conn | null | undefined = this.conns.get(c.key);
    if (p === c) {
      if (c.bucketNext !== null) this.conns.set(c.key, c.bucketNext);
      else this.conns.delete(c.key);
    } else {
      while (p !== undefined && p !== null && p.bucketNext !== c) p = p.bucketNext;
      if (p !== undefined && p !== null) p.bucketNext = c.bucketNext;
    }
    c.bucketNext = null;
  }

  private create(key: number, seg: TcpSegment): Conn {
    while (this.open.size >= this.maxConnections && this.open.head !== null) {
      this.counters.evictedConnections++;
      this.close(this.open.head, 'evicted', false);
    }
    const pkt = seg.packet;
    const syn = seg.flags & TCP_SYN;
    const synAck = syn && seg.flags & TCP_ACK;
    const src = { addr: seg.src, port: seg.srcPort };
    const dst = { addr: seg.dst, port: seg.dstPort };
    const info: TcpConnection = {
      index: this.nextIndex++,
      endpoints: synAck ? [dst, src] : [src, dst],
      synSeen: syn !== 0,
      firstFrame: pkt.number,
      firstTsSec: pkt.tsSec,
      firstTsNsec: pkt.tsNsec,
    };
    const conn = new Conn(key, info);
    conn.lastSeen = this.now;
    conn.bucketNext = this.conns.get(key) ?? null;
    this.conns.set(key, conn);
    this.open.push(conn);
    this.counters.connections++;
    conn.handler = this.factory(info);
    return conn;
  }

  /** Sequence-number handling of one segment in its direction. */
  private accept(h: Half, seg: TcpSegment): void {
    const flags = seg.flags;
    const payload = seg.payload;
    const fin = (flags & TCP_FIN) !== 0;
    let seq = seg.seq;
    if (flags & TCP_SYN) {
      // The SYN occupies one sequence number; data (TCP Fast Open) follows it.
      seq = seqAdd(seq, 1);
      if (h.ackStarted) h.started = false;
      if (!h.started) {
        h.started = true;
        h.synStarted = true;
        h.next = seq;
      }
    } else if (!h.started) {
      if (payload.length === 0 && !fin) return;
      h.started = true;
      h.next = seq;
    }
    h.ackStarted = false;
    if (h.done) {
      this.counters.retransmittedBytes += payload.length;
      return;
    }
    if (payload.length === 0 && !fin) return;

    const end = seqAdd(seq, payload.length);
    if (fin && !h.finSeen) {
      h.finSeen = true;
      h.finSeq = end;
      h.finCut = seg.truncated;
    }

    let ahead = seqDiff(seq, h.next);
    if (ahead > 0 && h.cutHole && waitingCount(h) === 0) {
      // The hole is what the snap length cut from the previous segment: it will not come back.
      this.gap(h, ahead, seg.packet.number, seg.packet.tsSec, seg.packet.tsNsec);
      h.next = seq;
      ahead = 0;
    }
    if (ahead <= 0) {
      if (seqDiff(end, h.next) > 0) {
        this.counters.retransmittedBytes -= ahead;
        this.deliverInOrder(h, seq, payload, seg);
      } else {
        this.counters.retransmittedBytes += payload.length;
      }
    } else if (payload.length > 0) {
      this.store(h, seq, payload, seg);
    }

    if (h.finSeen && !h.done) {
      if (h.finCut) {
        if (fin) {
          // Where the FIN sits is unknown: everything up to it is given up.
          this.giveUpAll(h);
          if (seg.truncated) this.gap(h, -1, seg.packet.number, seg.packet.tsSec, seg.packet.tsNsec);
          h.done = true;
        }
      } else if (h.next === h.finSeq) {
        h.done = true;
      } else if (fin && seqDiff(h.finSeq, h.next) > 0) {
        // FIN with a hole before it: the missing bytes will not be sent again after the FIN.
        this.giveUpAll(h, seg);
        h.done = true;
      }
    }
    if (h.done) this.dropWaiting(h);
  }

  /** Deliver `payload` (starting at `seq`, at or before `h.next`) and whatever waiting bytes it joins. */
  private deliverInOrder(h: Half, seq: number, payload: Uint8Array, seg: TcpSegment): void {
    const handler = h.conn.handler!;
    const pkt = seg.packet;
    const end = seqAdd(seq, payload.length);
    const w = h.waiting;
    let cur = h.next;
    let head = w?.first();
    let removed = false;
    while (seqDiff(end, cur) > 0) {
      if (head !== undefined && seqDiff(head.seq, cur) <= 0) {
        // Bytes received earlier win: deliver the waiting copy, count ours as retransmitted.
        const from = seqDiff(cur, head.seq);
        this.counters.retransmittedBytes += Math.max(0, Math.min(seqDiff(end, cur), seqDiff(head.end, cur)));
        if (from < head.bytes.length) handler.data(h.dir, head.bytes.subarray(from), pkt.number, pkt.tsSec, pkt.tsNsec);
        h.cutHole = head.cut;
        cur = head.end;
        this.removeWaiting(h, head);
        removed = true;
        head = (w as WaitingSegments).first();
        continue;
      }
      const stop = head !== undefined && seqDiff(head.seq, end) < 0 ? head.seq : end;
      const bytes = cur === seq && stop === end ? payload : payload.subarray(seqDiff(cur, seq), seqDiff(stop, seq));
      handler.data(h.dir, bytes, pkt.number, pkt.tsSec, pkt.tsNsec);
      h.cutHole = seg.truncated && stop === end;
      cur = stop;
    }
    h.next = cur;
    if (removed) this.afterRemoval(h);
    this.drain(h, pkt.number, pkt.tsSec, pkt.tsNsec, true);
  }

  /**
   * Deliver waiting segments that are now contiguous. With `filled`, the given frame made them
   * deliverable; otherwise (after a hole was given up) each carries its own.
   */
  private drain(h: Half, frame: number, tsSec: number, tsNsec: number, filled: boolean): void {
    const w = h.waiting;
    if (w === null) return;
    let removed = false;
    for (let s = w.first(); s !== undefined && seqDiff(s.seq, h.next) <= 0; s = w.first()) {
      const from = seqDiff(h.next, s.seq);
      if (from < s.bytes.length) {
        if (filled) h.conn.handler!.data(h.dir, s.bytes.subarray(from), frame, tsSec, tsNsec);
        else h.conn.handler!.data(h.dir, s.bytes.subarray(from), s.frame, s.tsSec, s.tsNsec);
        h.next = s.end;
        h.cutHole = s.cut;
      }
      this.removeWaiting(h, s);
      removed = true;
    }
    if (removed) this.afterRemoval(h);
    if (h.cutHole && w.length > 0) this.giveUpFirst(h);
  }

  /** Keep the parts of an out-of-order segment not already waiting (first received wins), as copies. */
  private store(h: Half, seq: number, payload: Uint8Array, seg: TcpSegment): void {
    const pkt = seg.packet;
    const end = seqAdd(seq, payload.length);
    const w = h.waiting ?? (h.waiting = new WaitingSegments());
    let next = w.firstEndingAfter(seq);
    let cur = seq;
    let stored = 0;
    let pieces = 0;
    while (seqDiff(end, cur) > 0) {
      if (next !== undefined && seqDiff(next.seq, cur) <= 0) {
        const covered = seqDiff(next.end, cur);
        this.counters.retransmittedBytes += Math.min(covered, seqDiff(end, cur));
        cur = next.end;
        next = w.after(next);
        continue;
      }
      const stop = next !== undefined && seqDiff(next.seq, end) < 0 ? next.seq : end;
      const bytes = payload.slice(seqDiff(cur, seq), seqDiff(stop, seq));
      w.insert({
        seq: cur,
        end: stop,
        bytes,
        frame: pkt.number,
        tsSec: pkt.tsSec,
        tsNsec: pkt.tsNsec,
        arrival: this.now,
        cut: seg.truncated && stop === end,
        gone: false,
      });
      pieces++;
      stored += bytes.length;
      cur = stop;
    }
    if (stored === 0) return;
    this.counters.outOfOrderSegments++;
    h.waitingBytes += stored;
    this.waitingTotal += stored;
    const cost = stored + pieces * WAITING_SEGMENT_OVERHEAD;
    h.waitingCost += cost;
    this.waitingCostTotal += cost;
    if (!h.queued) {
      h.queued = true;
      h.waitingSince = this.now;
      this.queue.add(h);
      const deadline = this.now + this.gapTimeout;
      if (deadline < this.gapDeadline) this.gapDeadline = deadline;
    }
    while (h.waitingCost > this.maxPerDirection && w.length > 0) this.giveUpFirst(h);
    while (this.waitingCostTotal > this.maxTotal) {
      const oldest = this.queue.values().next();
      if (oldest.done) break;
      this.giveUpFirst(oldest.value);
    }
  }

  /** Remove one waiting segment of `h` (delivered or dropped); `afterRemoval` follows a run of these. */
  private removeWaiting(h: Half, s: Waiting): void {
    (h.waiting as WaitingSegments).remove(s);
    const bytes = s.bytes.length;
    h.waitingBytes -= bytes;
    this.waitingTotal -= bytes;
    const cost = bytes + WAITING_SEGMENT_OVERHEAD;
    h.waitingCost -= cost;
    this.waitingCostTotal -= cost;
  }

  /** After segments left `h`: out of the queue when none waits, else the oldest arrival for the timer. */
  private afterRemoval(h: Half): void {
    if (waitingCount(h) === 0) {
      // The empty tree is kept for the direction's next hole (making one per hole cost more than the hole).
      if (h.queued) {
        h.queued = false;
        this.queue.delete(h);
      }
    } else {
      h.waitingSince = (h.waiting as WaitingSegments).oldestArrival();
    }
  }

  /** Give up the hole before the first waiting segment, then deliver what became contiguous. */
  private giveUpFirst(h: Half): void {
    const head = (h.waiting as WaitingSegments).first() as Waiting;
    const lost = seqDiff(head.seq, h.next);
    if (lost > 0) this.gap(h, lost, head.frame, head.tsSec, head.tsNsec);
    h.next = head.seq;
    h.cutHole = false;
    this.drain(h, head.frame, head.tsSec, head.tsNsec, false);
  }

  /**
   * Give up every hole of `h`. With `fin`, the FIN's packet ends the stream: holes up to the FIN are
   * reported, waiting bytes are delivered in order, and a hole right before the FIN carries the FIN's frame.
   */
  private giveUpAll(h: Half, fin?: TcpSegment): void {
    while (waitingCount(h) > 0) this.giveUpFirst(h);
    if (fin !== undefined && h.finSeen && !h.finCut) {
      const lost = seqDiff(h.finSeq, h.next);
      if (lost > 0) {
        const p = fin.packet;
        this.gap(h, lost, p.number, p.tsSec, p.tsNsec);
        h.next = h.finSeq;
      }
    }
  }

  private gap(h: Half, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    this.counters.gaps++;
    if (lost > 0) this.counters.bytesLost += lost;
    h.conn.handler!.gap(h.dir, lost, frame, tsSec, tsNsec);
  }

  /** Discard what waits in a finished direction (bytes after its FIN). */
  private dropWaiting(h: Half): void {
    if (h.waiting === null) return;
    this.waitingTotal -= h.waitingBytes;
    this.waitingCostTotal -= h.waitingCost;
    h.waitingBytes = 0;
    h.waitingCost = 0;
    h.waiting = null;
    if (h.queued) {
      h.queued = false;
      this.queue.delete(h);
    }
  }

  /**
   * Close a connection: deliver what can be (giving up holes), tell the handler, stop tracking it. With
   * `linger`, the 4-tuple stays known (without buffers) so that trailing packets are attributed to it.
   */
  private close(c: Conn, reason: CloseReason, linger: boolean): void {
    for (const h of c.halves) {
      if (!h.done && waitingCount(h) > 0) this.giveUpAll(h);
      this.dropWaiting(h);
    }
    const handler = c.handler!;
    c.handler = null;
    c.closed = true;
    this.open.remove(c);
    if (linger) {
      c.closedAt = this.now;
      this.closedList.push(c);
      while (this.closedList.size > this.maxClosed) this.unlinger(this.closedList.head!);
    } else {
      this.unlink(c);
    }
    handler.close(reason);
  }

  /** Stop tracking `c` for good: closed (with `reason`) if still open, forgotten if lingering. */
  private forget(c: Conn, reason: CloseReason): void {
    if (c.closed) this.unlinger(c);
    else this.close(c, reason, false);
  }

  private unlinger(c: Conn): void {
    this.closedList.remove(c);
    this.unlink(c);
  }

  /** Timers on capture time: waiting segments, idle connections, remembered closed conversations. */
  private expire(): void {
    const now = this.now;
    if (now > this.gapDeadline) {
      let deadline = Infinity;
      for (const h of [...this.queue]) {
        while (waitingCount(h) > 0 && now - h.waitingSince > this.gapTimeout) this.giveUpFirst(h);
        if (waitingCount(h) > 0 && h.waitingSince + this.gapTimeout < deadline) deadline = h.waitingSince + this.gapTimeout;
      }
      this.gapDeadline = deadline;
    }
    if (this.idleTimeout > 0) {
      while (this.open.head !== null && now - this.open.head.lastSeen > this.idleTimeout) {
        this.close(this.open.head, 'idle', false);
      }
    }
    const cl = this.closedList;
    while (cl.head !== null && now - cl.head.closedAt > this.closedLinger) this.unlinger(cl.head);
  }
}

/**
 * The same hash key for both directions, from the ports alone (no string is built per packet): the lower
 * port's 14 low bits above the higher port, below 2^30 so V8 keeps it a small integer. Conversations whose
 * keys collide (other addresses, same ports) share a bucket and are told apart by their addresses.
 */
function portKey(a: number, b: number): number {
  return a < b ? ((a & 0x3fff) << 16) | b : ((b & 0x3fff) << 16) | a;
}

function directionOf(info: TcpConnection, seg: TcpSegment): Direction {
  const e = info.endpoints[0];
  return e.port === seg.srcPort && e.addr === seg.src ? 0 : 1;
}

function waitingCount(h: Half): number {
  return h.waiting === null ? 0 : h.waiting.length;
}

function limit(v: number | undefined, dflt: number): number {
  return v !== undefined && Number.isFinite(v) && v >= 0 ? v : dflt;
}
