/**
 * HTTP/2 wire constants, named as RFC 9113 names them.
 *
 * https://www.rfc-editor.org/rfc/rfc9113.html
 */

/**
 * The client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (24 octets), sent by the client before
 * its first frame. https://www.rfc-editor.org/rfc/rfc9113.html#section-3.4
 */
export const CLIENT_PREFACE: Uint8Array = Uint8Array.from(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));

/** Every frame begins with a fixed 9-octet header. https://www.rfc-editor.org/rfc/rfc9113.html#section-4.1 */
export const FRAME_HEADER_LENGTH = 9;

/** SETTINGS_MAX_FRAME_SIZE initial value, and the smallest a peer may set (2^14). §6.5.2 */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;

/** The largest frame payload the 24-bit length field allows and SETTINGS_MAX_FRAME_SIZE may set (2^24-1). §4.1 */
export const MAX_FRAME_SIZE_LIMIT = 16_777_215;

/** SETTINGS_HEADER_TABLE_SIZE initial value. §6.5.2, RFC 7541 §4.2 */
export const DEFAULT_HEADER_TABLE_SIZE = 4_096;

/** Frame types. https://www.rfc-editor.org/rfc/rfc9113.html#section-6 */
export const enum FrameType {
  /** §6.1: a stream's content octets. */
  DATA = 0x0,
  /** §6.2: opens a stream and carries a header block fragment. */
  HEADERS = 0x1,
  /** §6.3: deprecated stream priority. */
  PRIORITY = 0x2,
  /** §6.4: immediate termination of a stream. */
  RST_STREAM = 0x3,
  /** §6.5: configuration parameters of the sender. */
  SETTINGS = 0x4,
  /** §6.6: the server announces a stream it is about to push. */
  PUSH_PROMISE = 0x5,
  /** §6.7: round-trip measurement and liveness. */
  PING = 0x6,
  /** §6.8: the sender is shutting the connection down. */
  GOAWAY = 0x7,
  /** §6.9: flow-control credit. */
  WINDOW_UPDATE = 0x8,
  /** §6.10: the rest of a header block. */
  CONTINUATION = 0x9,
}

const FRAME_TYPE_NAMES = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
] as const;

/** The highest frame type RFC 9113 defines; higher ones are extensions, skipped by length (§4.1, §5.5). */
export const LAST_KNOWN_FRAME_TYPE = FrameType.CONTINUATION;

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** RFC 9113 §6 name of a frame type, `UNKNOWN(0xNN)` for extension types. */
export function frameTypeName(type: number): string {
  return type >= 0 && type <= LAST_KNOWN_FRAME_TYPE ? FRAME_TYPE_NAMES[type] : `UNKNOWN(0x${hex2(type)})`;
}

/** Frame flags. Their meaning depends on the frame type (§6). */
export const enum FrameFlag {
  /** DATA, HEADERS (§6.1, §6.2): the last frame the endpoint sends on the stream. */
  END_STREAM = 0x1,
  /** SETTINGS, PING (§6.5, §6.7): an acknowledgement. */
  ACK = 0x1,
  /** HEADERS, PUSH_PROMISE, CONTINUATION (§6.2, §6.6, §6.10): the header block ends in this frame. */
  END_HEADERS = 0x4,
  /** DATA, HEADERS, PUSH_PROMISE (§6.1, §6.2, §6.6): a Pad Length octet and padding are present. */
  PADDED = 0x8,
  /** HEADERS (§6.2): Exclusive, Stream Dependency and Weight fields (5 octets) are present. */
  PRIORITY = 0x20,
}

/**
 * The flags each defined frame type may carry. RFC 9113 §4.1 says unknown flags MUST be ignored, so this
 * table is not used to reject frames, only to judge whether 9 octets look like a frame header when framing
 * has been lost (real stacks never set undefined flags).
 */
export const DEFINED_FLAGS: readonly number[] = [
  /* DATA */ FrameFlag.END_STREAM | FrameFlag.PADDED,
  /* HEADERS */ FrameFlag.END_STREAM | FrameFlag.END_HEADERS | FrameFlag.PADDED | FrameFlag.PRIORITY,
  /* PRIORITY */ 0,
  /* RST_STREAM */ 0,
  /* SETTINGS */ FrameFlag.ACK,
  /* PUSH_PROMISE */ FrameFlag.END_HEADERS | FrameFlag.PADDED,
  /* PING */ FrameFlag.ACK,
  /* GOAWAY */ 0,
  /* WINDOW_UPDATE */ 0,
  /* CONTINUATION */ FrameFlag.END_HEADERS,
];

/** SETTINGS parameters. https://www.rfc-editor.org/rfc/rfc9113.html#section-6.5.2 */
export const enum SettingsId {
  SETTINGS_HEADER_TABLE_SIZE = 0x1,
  SETTINGS_ENABLE_PUSH = 0x2,
  SETTINGS_MAX_CONCURRENT_STREAMS = 0x3,
  SETTINGS_INITIAL_WINDOW_SIZE = 0x4,
  SETTINGS_MAX_FRAME_SIZE = 0x5,
  SETTINGS_MAX_HEADER_LIST_SIZE = 0x6,
  /** RFC 8441 §3. */
  SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8,
  /** RFC 9218 §2.1. */
  SETTINGS_NO_RFC7540_PRIORITIES = 0x9,
}

/** Each SETTINGS parameter is a 16-bit identifier and a 32-bit value. §6.5.1 */
export const SETTINGS_ENTRY_LENGTH = 6;

/** Error codes of RST_STREAM and GOAWAY. https://www.rfc-editor.org/rfc/rfc9113.html#section-7 */
export const enum ErrorCode {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  INTERNAL_ERROR = 0x2,
  FLOW_CONTROL_ERROR = 0x3,
  SETTINGS_TIMEOUT = 0x4,
  STREAM_CLOSED = 0x5,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  CONNECT_ERROR = 0xa,
  ENHANCE_YOUR_CALM = 0xb,
  INADEQUATE_SECURITY = 0xc,
  HTTP_1_1_REQUIRED = 0xd,
}

const ERROR_CODE_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
] as const;

/**
 * RFC 9113 §7 name of an error code; unknown codes "MUST NOT trigger any special behavior" (§7) and are
 * shown as `UNKNOWN(0xNNNNNNNN)`.
 */
export function errorCodeName(code: number): string {
  return code >= 0 && code < ERROR_CODE_NAMES.length
    ? ERROR_CODE_NAMES[code]
    : `UNKNOWN(0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')})`;
}
