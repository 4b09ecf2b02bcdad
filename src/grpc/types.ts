/**
 * The contract of the gRPC layer (grpc/PROTOCOL-HTTP2.md): an Http2Sink that tracks calls, deframes and
 * decompresses length-prefixed messages, decodes them through a MessageDecoder, and emits records.
 */
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';

export interface RecordSink {
  message(record: MessageRecord): void;
  call(record: CallRecord): void;
  frame?(record: FrameRecord): void;
}

export interface GrpcOptions {
  /** Largest declared message length accepted (bytes); larger messages are skipped, not buffered. */
  maxMessageBytes?: number;
  /** Largest decompressed size (bytes); decompression stops there and the message is reported too large. */
  maxDecompressedBytes?: number;
  /** Keep .proto field names in bodies. */
  protoNames?: boolean;
  /** Nesting depth limit for protobuf decoding. */
  maxDepth?: number;
  /** Emit FrameRecords for every HTTP/2 frame (decode --frames). */
  frames?: boolean;
}
