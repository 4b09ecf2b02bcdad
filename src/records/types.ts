/**
 * The NDJSON record schema: the one field registry of grpctk (like Wireshark's hf_ fields). decode writes
 * these, stats/export/split/filters read them. Documented in README.md and in schema/records.schema.json;
 * names here are fixed, fields may be added.
 */

/** gRPC message: one length-prefixed message of a call. */
export interface MessageRecord {
  type: 'message';
  /** Number of the packet that completed the HTTP/2 frame holding the message's last byte. */
  frame: number;
  /** ISO-8601 UTC with nanoseconds, e.g. 2026-11-21T03:39:12.123456789Z. */
  ts: string;
  /** Wireshark's tcp.stream. */
  tcp_stream: number;
  /** `ip:port`, IPv6 in brackets. */
  client: string;
  server: string;
  /** HTTP/2 stream id. */
  stream: number;
  /**
   * The call's identity, `TCP_STREAM/STREAM` (e.g. `0/3`): the same on a call and its messages, unique in
   * one capture, so they can be joined (`--call`). Filled in from tcp_stream and stream for NDJSON written
   * before the field existed.
   */
  call_id: string;
  /** Full method path, e.g. /helloworld.Greeter/SayHello. */
  method: string;
  direction: 'request' | 'response';
  /** From 0 within a call and direction. */
  index: number;
  compressed: boolean;
  /** grpc-encoding in force when compressed ("gzip", "deflate", "identity"…), else null. */
  encoding: string | null;
  /** Message length on the wire without the 5-byte prefix. */
  length: number;
  /** Fully qualified protobuf type name, or null when decoded without a schema. */
  message_type: string | null;
  /** Canonical proto3 JSON, or the raw decode keyed by field number; null when not decodable. */
  body: unknown;
  /** Why the body could not be decoded as `message_type` (then `body` is the raw decode), else null. */
  error: string | null;
  /** The call's method group when its :path was not seen (as in CallRecord). */
  method_group?: string;
  /** Fields whose value was inferred, not seen: `method`, `message_type` (the call's record says why). */
  inferred?: string[];
}

export interface CallRecord {
  type: 'call';
  tcp_stream: number;
  client: string;
  server: string;
  stream: number;
  /** `TCP_STREAM/STREAM`, as on the call's messages. */
  call_id: string;
  method: string;
  /** How the call travelled: grpc, grpc-web, grpc-web-text or connect. `stream` is the HTTP/1.1 request's
   *  number on its connection (from 1) when the call went over HTTP/1.1. */
  protocol?: string;
  authority: string | null;
  /** ISO-8601 UTC with nanoseconds: the request HEADERS packet and the packet that ended the stream. */
  start: string;
  end: string | null;
  duration_ms: number | null;
  /** :status of the response headers, or null. */
  http_status: number | null;
  /** grpc-status number, or null when none was seen. */
  status: number | null;
  /** Canonical name (OK, CANCELLED, …), or null. */
  status_name: string | null;
  /** grpc-message, percent-decoded, or null. */
  grpc_message: string | null;
  /** Header names as sent (lower case); repeated names joined with ", "; -bin values as base64. */
  request_headers: Record<string, string>;
  response_headers: Record<string, string>;
  trailers: Record<string, string>;
  request_messages: number;
  response_messages: number;
  /** Sum of message lengths (without prefixes) per direction. */
  request_bytes: number;
  response_bytes: number;
  /** True when the stream ended (END_STREAM both ways, or RST_STREAM) within the capture. */
  complete: boolean;
  /** RST_STREAM / GOAWAY error name (e.g. CANCEL) when the stream was reset, else null. */
  reset: string | null;
  first_frame: number;
  last_frame: number;
  /**
   * True when the response was Trailers-Only (one HEADERS block with END_STREAM): that block is in
   * `trailers` and `response_headers` is empty. Absent otherwise.
   */
  trailers_only?: boolean;
  /** grpc-timeout in milliseconds, when the request carried one. */
  timeout_ms?: number | null;
  /** grpc-status-details-bin decoded as google.rpc.Status, when present. */
  status_details?: unknown;
  /** Problems met while decoding the call (HPACK errors, lost bytes), when any. */
  errors?: string[];
  /** The call was carried over TLS and decrypted: what the handshake said. Absent on plaintext connections. */
  tls?: TlsInfo;
  /**
   * When the :path was not seen (the capture joined the connection after the peers had put it in their
   * header table, or the request headers were not captured): `unknown method #N`, the same for every call
   * whose request uses the same unknown table entries, so the same method.
   */
  method_group?: string;
  /** Fields whose value was inferred, not seen (e.g. `["method"]`), and why. */
  inferred?: string[];
  inferred_reason?: string;
  /** When several loaded methods fit the evidence: they, and `method` stays "". */
  method_candidates?: string[];
  /** The trailers came, but their grpc-status refers to a header table entry from before the capture. */
  status_unknown?: boolean;
}

/**
 * What the TLS handshake of a decrypted connection said (RFC 8446, RFC 5246). A value the capture did not
 * show (SNI not sent, ALPN not negotiated or not decrypted) is absent.
 */
export interface TlsInfo {
  /** Negotiated version as Wireshark names it: "TLS 1.3", "TLS 1.2". */
  version: string;
  /** IANA name of the cipher suite, e.g. TLS_AES_128_GCM_SHA256. */
  cipher_suite: string;
  /** server_name (SNI) of the ClientHello. */
  sni?: string;
  /** ALPN protocol the server selected, e.g. "h2". */
  alpn?: string;
  /** "yes" when the session was resumed (a TLS 1.3 PSK, a TLS 1.2 session id or ticket), else "no". */
  resumed: 'yes' | 'no';
}

/** One HTTP/2 frame (decode --frames). */
export interface FrameRecord {
  type: 'frame';
  frame: number;
  ts: string;
  tcp_stream: number;
  client: string;
  server: string;
  direction: 'request' | 'response';
  stream: number;
  frame_type: string;
  flags: number;
  length: number;
}

export type GrpcRecord = MessageRecord | CallRecord | FrameRecord;

/** Where decoded records go: every output, tap and filter is one (the record layer's contract). */
export interface RecordSink {
  message(record: MessageRecord): void;
  call(record: CallRecord): void;
  frame?(record: FrameRecord): void;
}
