/**
 * IP fragment reassembly, for IPv4 (RFC 791 section 3.2, "Fragmentation and Reassembly") and IPv6
 * (RFC 8200 section 4.5). Only fragments of TCP datagrams are held: the caller checks the protocol first.
 *
 * Fragments are copied (a packet's bytes are only valid while it is being decoded). Memory is bounded by
 * the limits below; at a limit the oldest datagram in progress is dropped and its fragments are counted in
 * `droppedFragments`. Timeouts run on capture time, not wall-clock time.
 */

/** Datagrams being reassembled at once. At the limit the oldest one is dropped to make room. */
export const DEFAULT_MAX_FRAGMENT_BUFFERS = 1024;
/** Fragment bytes held over all datagrams. At the limit the oldest datagrams are dropped until it fits. */
export const DEFAULT_MAX_FRAGMENT_BYTES = 16 * 1024 * 1024;
/**
 * Capture-time seconds a datagram may wait for its missing fragments (RFC 8200 section 4.5 uses 60 s);
 * past it the datagram is dropped when the next fragment arrives.
 */
export const DEFAULT_FRAGMENT_TIMEOUT_SEC = 60;
/** Largest datagram payload an IP header can describe (16-bit lengths). */
export const MAX_DATAGRAM_PAYLOAD = 65535;

export interface FragmentLimits {
  maxFragmentBuffers: number;
  maxFragmentBytes: number;
  fragmentTimeoutSec: number;
}

interface Piece {
  offset: number;
  end: number;
  bytes: Uint8Array;
}

class Datagram {
  /** Non-overlapping, sorted by offset. */
  pieces: Piece[] = [];
  /** Bytes held (sum of piece lengths). */
  held = 0;
  /** Fragment packets received, for the dropped count. */
  fragments = 0;
  /** Payload length, known once the last fragment (More Fragments clear) arrived; -1 before. */
  total = -1;
  /** IPv6: the Next Header of the fragment at offset 0 (RFC 8200 section 4.5); IPv4: unused. */
  nextHeader = -1;
  constructor(readonly firstSeen: number) {}
}

export interface FragmentCounters {
  droppedFragments: number;
  reassembledDatagrams: number;
  malformed: number;
}

export class FragmentReassembler {
  private readonly datagrams = new Map<string, Datagram>();
  private held = 0;
  /** Next Header of the datagram last returned by `add` (IPv6). */
  nextHeader = -1;

  constructor(private readonly limits: FragmentLimits, private readonly counters: FragmentCounters) {}

  /** Datagrams currently waiting for fragments. */
  get pending(): number {
    return this.datagrams.size;
  }

  /**
   * Add one fragment: `bytes` is its payload (a view, copied here), `offset` its place in the datagram,
   * `more` the More Fragments flag, `nextHeader` the IPv6 Next Header (-1 for IPv4). Returns the whole
   * datagram payload when this fragment completes it (with `this.nextHeader` set), else undefined.
   */
  add(key: string, offset: number, bytes: Uint8Array, more: boolean, nextHeader: number, now: number): Uint8Array | undefined {
    this.expire(now);
    const end = offset + bytes.length;
    if (end > MAX_DATAGRAM_PAYLOAD || (more && bytes.length % 8 !== 0)) {
      // RFC 791/8200: every fragment but the last carries a multiple of 8 bytes.
      this.counters.malformed++;
      return undefined;
    }
    if (bytes.length > this.limits.maxFragmentBytes) {
      this.counters.droppedFragments++;
      return undefined;
    }

    let d = this.datagrams.get(key);
    if (d === undefined) {
      while (this.datagrams.size >= this.limits.maxFragmentBuffers && this.datagrams.size > 0) this.dropOldest();
      d = new Datagram(now);
      this.datagrams.set(key, d);
    }
    d.fragments++;
    if (offset === 0 && nextHeader >= 0) d.nextHeader = nextHeader;
    if (!more) {
      if ((d.total >= 0 && d.total !== end) || end < maxEnd(d)) {
        // Two different "last" fragments, or data past the end: the lengths lie.
        this.counters.malformed++;
        this.drop(key, d);
        return undefined;
      }
      d.total = end;
    } else if (d.total >= 0 && end > d.total) {
      this.counters.malformed++;
      this.drop(key, d);
      return undefined;
    }

    this.insert(d, offset, end, bytes);
    while (this.held > this.limits.maxFragmentBytes && this.datagrams.size > 1) this.dropOldest();
    if (!this.datagrams.has(key)) return undefined; // dropped to make room for others: oldest first

    if (d.total < 0 || d.held !== d.total) return undefined;
    const out = new Uint8Array(d.total);
    for (const p of d.pieces) out.set(p.bytes, p.offset);
    this.nextHeader = d.nextHeader;
    this.datagrams.delete(key);
    this.held -= d.held;
    this.counters.reassembledDatagrams++;
    return out;
  }

  /** Count a fragment that could not be used (e.g. cut short by the snap length) as dropped. */
  reject(): void {
    this.counters.droppedFragments++;
  }

  /** Insert [offset, end), keeping only the parts not already held: the first fragment received wins. */
  private insert(d: Datagram, offset: number, end: number, bytes: Uint8Array): void {
    const pieces = d.pieces;
    let i = 0;
    while (i < pieces.length && pieces[i].end <= offset) i++;
    let cur = offset;
    while (cur < end) {
      const next = i < pieces.length ? pieces[i] : undefined;
      if (next !== undefined && next.offset <= cur) {
        cur = next.end;
        i++;
        continue;
      }
      const stop = next === undefined ? end : Math.min(end, next.offset);
      const piece: Piece = { offset: cur, end: stop, bytes: bytes.slice(cur - offset, stop - offset) };
      pieces.splice(i, 0, piece);
      i++;
      d.held += stop - cur;
      this.held += stop - cur;
      cur = stop;
    }
  }

  /** Drop datagrams that waited longer than the timeout (Map order is creation order). */
  private expire(now: number): void {
    for (const [key, d] of this.datagrams) {
      if (now - d.firstSeen <= this.limits.fragmentTimeoutSec) break;
      this.drop(key, d);
    }
  }

  private dropOldest(): void {
    const first = this.datagrams.entries().next();
    if (!first.done) this.drop(first.value[0], first.value[1]);
  }

  private drop(key: string, d: Datagram): void {
    this.datagrams.delete(key);
    this.held -= d.held;
    this.counters.droppedFragments += d.fragments;
  }
}

function maxEnd(d: Datagram): number {
  return d.pieces.length === 0 ? 0 : d.pieces[d.pieces.length - 1].end;
}
