/**
 * The out-of-order segments of one TCP direction, waiting behind a hole: sorted by sequence number, not
 * overlapping, all after the direction's next byte.
 *
 * Why a B+ tree (sorted-btree) rather than a sorted array: segments arrive in any order and leave from the
 * front. With an array, each insertion in the middle and each removal from the front moves every later
 * entry, so n reordered segments, or n holes given up one by one, cost O(n²): 100,000 one-octet segments in
 * random order took 27 s. Here an insertion, a removal and a look-up are O(log n), and what the timers need
 * (the arrival time of the oldest waiting segment) is O(1) amortized: capture time never goes back, so
 * segments arrive in time order and a FIFO of them, skipping those already gone, gives the oldest.
 *
 * Keys compare with serial-number arithmetic (seqDiff): all of them lie within 2^31 after the direction's
 * next byte, where that order is a total order.
 */
import BTree from 'sorted-btree';
import { seqDiff } from './seq';

/** A segment waiting behind a hole: its bytes are a copy (packet views do not outlive the packet). */
export interface Waiting {
  seq: number;
  end: number;
  bytes: Uint8Array;
  frame: number;
  tsSec: number;
  tsNsec: number;
  /** Capture time it arrived, in seconds. */
  arrival: number;
  /** The snap length cut the segment these bytes came from: a hole follows them. */
  cut: boolean;
  /** Removed (delivered or dropped): skipped by the arrival FIFO. */
  gone: boolean;
}

export class WaitingSegments {
  private readonly tree = new BTree<number, Waiting>(undefined, seqDiff);
  /** Segments in arrival order (some gone), read from `fifoHead`; compacted as the head advances. */
  private fifo: Waiting[] = [];
  private fifoHead = 0;

  get length(): number {
    return this.tree.size;
  }

  /** The waiting segment with the lowest sequence number. */
  first(): Waiting | undefined {
    const p = this.tree.nextHigherPair(undefined);
    return p === undefined ? undefined : p[1];
  }

  /** The first waiting segment that ends after `seq` (it may start before `seq`, overlapping it). */
  firstEndingAfter(seq: number): Waiting | undefined {
    const before = this.tree.getPairOrNextLower(seq);
    if (before !== undefined && seqDiff(before[1].end, seq) > 0) return before[1];
    const p = this.tree.nextHigherPair(seq);
    return p === undefined ? undefined : p[1];
  }

  /** The waiting segment after `w` in sequence order. */
  after(w: Waiting): Waiting | undefined {
    const p = this.tree.nextHigherPair(w.seq);
    return p === undefined ? undefined : p[1];
  }

  /** Adds `w`, which overlaps no waiting segment; `w.arrival` is at or after every other's. */
  insert(w: Waiting): void {
    this.tree.set(w.seq, w);
    this.fifo.push(w);
  }

  /** Removes `w` (a waiting segment). */
  remove(w: Waiting): void {
    this.tree.delete(w.seq);
    w.gone = true;
    if (this.tree.size === 0) {
      this.fifo = [];
      this.fifoHead = 0;
    } else if (this.fifo.length - this.fifoHead > 2 * this.tree.size + 1024) {
      // An old segment still waits while many newer ones came and went: drop the gone ones so the FIFO
      // (and the bytes it references) stays proportional to what waits.
      this.fifo = this.fifo.slice(this.fifoHead).filter((x) => !x.gone);
      this.fifoHead = 0;
    }
  }

  /** Capture time the oldest waiting segment arrived (Infinity when none waits). */
  oldestArrival(): number {
    const f = this.fifo;
    while (this.fifoHead < f.length && f[this.fifoHead].gone) this.fifoHead++;
    if (this.fifoHead >= f.length) return Infinity;
    if (this.fifoHead > 1024 && this.fifoHead * 2 > f.length) {
      this.fifo = f.slice(this.fifoHead);
      this.fifoHead = 0;
      return this.fifo[0].arrival;
    }
    return f[this.fifoHead].arrival;
  }

  /** Every waiting segment, in sequence order (for tests and diagnostics). */
  toArray(): Waiting[] {
    return this.tree.valuesArray();
  }
}
