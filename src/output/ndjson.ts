/**
 * NDJSON: one record per line, exactly the schema of records/types.ts, for jq, stats and export.
 */
import type { RecordSink } from '../grpc/types';
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import { escapeJson } from './escape';
import type { Output } from './sink';

export function recordLine(record: MessageRecord | CallRecord | FrameRecord): string {
  return escapeJson(JSON.stringify(record)) + '\n';
}

export class NdjsonWriter implements RecordSink {
  constructor(private readonly out: Output) {}
  message(r: MessageRecord): void {
    this.out.write(recordLine(r));
  }
  call(r: CallRecord): void {
    this.out.write(recordLine(r));
  }
  frame(r: FrameRecord): void {
    this.out.write(recordLine(r));
  }
}
