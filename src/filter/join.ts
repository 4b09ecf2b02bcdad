/**
 * Messages under --status (and the other filters that judge a message by its call: durations, -Y on call
 * fields). A message record does not carry its call's status: that arrives with the call
 * record, after the call's messages (decode emits a call when its stream ends). This sink holds each
 * message that passed the message filters until its call arrives, then passes the messages that match with
 * their call (and the call, when it matches) on in their original order.
 *
 * Without --status it is a plain filter: nothing is held.
 */
import type { RecordSink } from '../records/types';
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import type { RecordFilter } from './index';

/**
 * Most messages held while waiting for their calls, over all calls: 100,000. When reached, the oldest held
 * message is dropped (counted in `dropped`): a call with that many messages before its end is a stream, and
 * keeping its messages would make memory grow with the capture.
 */
export const MAX_HELD_MESSAGES = 100_000;

export interface MessageCallJoin extends RecordSink {
  /** Messages dropped because more than the limit were held. */
  readonly dropped: number;
  /** Call this at the end of input: messages whose call never came are dropped (their status is unknown). */
  end(): number;
}

export function joinMessagesWithCalls(filter: RecordFilter, out: RecordSink, limit = MAX_HELD_MESSAGES): MessageCallJoin {
  // Map keeps insertion order, and held arrays are per call: the oldest call's messages go first.
  const held = new Map<string, MessageRecord[]>();
  let count = 0;
  let dropped = 0;
  const key = (r: { tcp_stream: number; stream: number }) => `${r.tcp_stream}/${r.stream}`;
  return {
    get dropped() {
      return dropped;
    },
    message(m: MessageRecord) {
      if (!filter.matchMessage(m)) return;
      if (!filter.needsCall) {
        out.message(m);
        return;
      }
      const k = key(m);
      let list = held.get(k);
      if (!list) held.set(k, (list = []));
      list.push(m);
      if (++count > limit) {
        const [oldestKey, oldest] = held.entries().next().value as [string, MessageRecord[]];
        oldest.shift();
        if (oldest.length === 0) held.delete(oldestKey);
        count--;
        dropped++;
      }
    },
    call(c: CallRecord) {
      const list = held.get(key(c));
      if (list) {
        held.delete(key(c));
        count -= list.length;
        for (const m of list) if (filter.matchMessageWithCall(m, c)) out.message(m);
      }
      if (filter.matchCall(c)) out.call(c);
    },
    frame(f: FrameRecord) {
      if (filter.matchConnection(f.client, f.server)) out.frame?.(f);
    },
    end() {
      const left = count;
      held.clear();
      count = 0;
      return left;
    },
  };
}
