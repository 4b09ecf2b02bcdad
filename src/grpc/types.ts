/**
 * The contract of the gRPC layer (grpc/PROTOCOL-HTTP2.md): an Http2Sink that tracks calls, deframes and
 * decompresses length-prefixed messages, decodes them through a MessageDecoder, and emits records.
 */
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import type { HeadersEvent } from '../http2/types';


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

/**
 * How a call travelled: gRPC over HTTP/2 (PROTOCOL-HTTP2.md), gRPC-Web in its binary or base64 text
 * encoding (PROTOCOL-WEB.md), or the Connect protocol (connectrpc.com/docs/protocol), over HTTP/1.1 or HTTP/2.
 */
export type RpcProtocol = 'grpc' | 'grpc-web' | 'grpc-web-text' | 'connect';

/** The message codec: protobuf binary, or protobuf's JSON mapping (`+json`, `application/json`). */
export type RpcCodec = 'proto' | 'json';

/** A status a protocol carries in its body (Connect's error JSON) rather than in `grpc-status`. */
export interface BodyStatus {
  code: number;
  message: string | null;
  details?: unknown;
}

/**
 * A HEADERS event as the gRPC call tracker takes it: what the protocol adapter (./web.ts) learned of a
 * gRPC-Web or Connect stream rides along. Absent fields mean plain gRPC.
 */
export interface RpcHeadersEvent extends HeadersEvent {
  /** On request headers: the protocol, when it is not plain gRPC. */
  protocol?: RpcProtocol;
  codec?: RpcCodec;
  /** The message compression of this direction, where the protocol does not name it `grpc-encoding`. */
  messageEncoding?: string;
  /** On a trailer event: the call's status, where the protocol carries it in the body. */
  status?: BodyStatus;
}
