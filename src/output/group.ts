/**
 * Gathers each call's messages until its call record arrives, so a call can be shown (text, json) or
 * filtered on its outcome (--status) as one unit. Message records always come before their call record.
 *
 * Limit: MAX_BUFFERED_BYTES of messages waiting over all open calls, each counted as RECORD_OVERHEAD plus
 * BODY_BYTES_PER_WIRE_BYTE times its wire length (what a record really holds, measured).
 * Past it, the call holding the most is handed on early as a partial group (`complete` false in the
 * callback) and keeps gathering afresh, so a long-lived stream cannot hold the whole capture in memory.
 */
import type { CallRecord, MessageRecord } from '../records/types';

export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/**
 * What one waiting message record holds beside its body, in bytes: measured at about 650 bytes for a
 * record decoded from a capture (its address and method strings are shared) and about 1 KiB for one read
 * from NDJSON (every string its own); 256 was counted before, so 100,000 empty messages held 830 MB under a
 * "64 MiB" limit.
 */
export const RECORD_OVERHEAD = 1024;
/**
 * A decoded body takes more memory than its wire bytes: a varint field becomes a property (key string,
 * value, slot), bytes become base64 text. Counted as this many times the wire length, an upper bound on
 * the measured ratios (1.3 for bytes, 3 to 6 for small scalar fields).
 */
export const BODY_BYTES_PER_WIRE_BYTE = 8;

export interface CallGroupSink {
  /** A finished call with the messages not yet handed on. */
  group(call: CallRecord, messages: MessageRecord[]): void;
  /** Messages of a call still open, handed on early because of the buffer limit. */
  partial(messages: MessageRecord[]): void;
}

interface Pending {
  messages: MessageRecord[];
  bytes: number;
}

export function callKey(r: { tcp_stream: number; stream: number }): string {
  return `${r.tcp_stream}/${r.stream}`;
}

export class CallGrouper {
  private readonly pending = new Map<string, Pending>();
  private bytes = 0;

  constructor(private readonly sink: CallGroupSink, private readonly maxBytes = MAX_BUFFERED_BYTES) {}

  message(m: MessageRecord): void {
    const key = callKey(m);
    let p = this.pending.get(key);
    if (!p) {
      p = { messages: [], bytes: 0 };
      this.pending.set(key, p);
    }
    const size = RECORD_OVERHEAD + BODY_BYTES_PER_WIRE_BYTE * m.length;
    p.messages.push(m);
    p.bytes += size;
    this.bytes += size;
    if (this.bytes > this.maxBytes) this.spill();
  }

  call(c: CallRecord): void {
    const key = callKey(c);
    const p = this.pending.get(key);
    if (p) {
      this.pending.delete(key);
      this.bytes -= p.bytes;
    }
    this.sink.group(c, p ? p.messages : []);
  }

  /** Messages whose call record never came (only possible with truncated NDJSON input). */
  flush(): void {
    for (const p of this.pending.values()) this.sink.partial(p.messages);
    this.pending.clear();
    this.bytes = 0;
  }

  private spill(): void {
    let largestKey: string | undefined;
    let largest: Pending | undefined;
    for (const [key, p] of this.pending) {
      if (!largest || p.bytes > largest.bytes) {
        largest = p;
        largestKey = key;
      }
    }
    if (!largest || largestKey === undefined) return;
    this.bytes -= largest.bytes;
    this.sink.partial(largest.messages);
    largest.messages = [];
    largest.bytes = 0;
  }
}
