/**
 * `--format json`: one JSON array whose elements are call records, each with a `messages` array holding its
 * message records (and frame records as elements of their own with --frames). The array is closed even when
 * the input ends in a fault, so the output stays valid JSON.
 */
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import { escapeJson } from './escape';
import type { CallGroupSink } from './group';
import type { Output } from './sink';

export class JsonArrayWriter implements CallGroupSink {
  private first = true;

  constructor(private readonly out: Output) {
    out.write('[');
  }

  private element(value: unknown): void {
    this.out.write((this.first ? '\n' : ',\n') + escapeJson(JSON.stringify(value, null, 2)).replace(/^/gm, '  '));
    this.first = false;
  }

  group(call: CallRecord, messages: MessageRecord[]): void {
    this.element({ ...call, messages });
  }

  partial(messages: MessageRecord[]): void {
    for (const m of messages) this.element(m);
  }

  frame(r: FrameRecord): void {
    this.element(r);
  }

  close(): void {
    this.out.write(this.first ? ']\n' : '\n]\n');
  }
}
