/**
 * `--format json`: one JSON array whose elements are call records, each with a `messages` array holding its
 * message records (and frame records as elements of their own with --frames). The array is closed even when
 * the input ends in a fault, so the output stays valid JSON.
 */
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import { escapeJson } from './escape';
import type { CallGroupSink } from './group';
import type { Output } from './sink';

/** How JSON.stringify(…, null, 2) writes `messages: [0]` as the last member of an element. */
const MESSAGES_PLACEHOLDER = '[\n    0\n  ]';

function indent(text: string, pad: string): string {
  return text.replace(/^/gm, pad);
}

export class JsonArrayWriter implements CallGroupSink {
  private first = true;

  constructor(private readonly out: Output) {
    out.write('[');
  }

  private element(value: unknown): void {
    this.out.write((this.first ? '\n' : ',\n') + indent(escapeJson(JSON.stringify(value, null, 2)), '  '));
    this.first = false;
  }

  /**
   * `{...call, messages}` as element() would write it, but one message at a time: a call with 100,000
   * messages would otherwise be one string of tens of megabytes, built three times over (stringify,
   * escape, indent).
   */
  group(call: CallRecord, messages: MessageRecord[]): void {
    if (messages.length === 0) {
      this.element({ ...call, messages });
      return;
    }
    const whole = JSON.stringify({ ...call, messages: [0] }, null, 2);
    const at = whole.lastIndexOf(MESSAGES_PLACEHOLDER);
    const head = whole.slice(0, at) + '[';
    const tail = whole.slice(at + MESSAGES_PLACEHOLDER.length);
    this.out.write((this.first ? '\n' : ',\n') + indent(escapeJson(head), '  '));
    this.first = false;
    messages.forEach((m, i) => this.out.write((i === 0 ? '\n' : ',\n') + indent(escapeJson(JSON.stringify(m, null, 2)), '      ')));
    // `tail` starts on the line of the closing bracket: indent the lines after it.
    this.out.write('\n    ]' + escapeJson(tail).replace(/\n/g, '\n  '));
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
