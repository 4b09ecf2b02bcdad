/**
 * gRPC status, grpc-message, grpc-timeout and grpc-status-details-bin, as specified by
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md ("Responses", "Requests") and
 * https://github.com/grpc/grpc/blob/master/doc/statuscodes.md.
 */
import type { DecodeOptions, MessageDecoder } from '../protobuf/types';
import { WireReader, WireType } from '../protobuf/wire';
import { SPECIAL_JSON_TYPES } from '../protobuf/wkt';

/** Status codes, named as statuscodes.md names them. */
export const enum StatusCode {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/** Canonical names indexed by code. */
export const STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const STATUS_BY_NAME: ReadonlyMap<string, number> = new Map(STATUS_NAMES.map((n, i) => [n, i]));

/** Canonical name of a code, or null for codes outside 0..16. */
export function statusName(code: number): string | null {
  return Number.isInteger(code) && code >= 0 && code < STATUS_NAMES.length ? STATUS_NAMES[code] : null;
}

/** Code of a canonical name (case-insensitive, e.g. for filters `status=not_found`), or undefined. */
export function statusCode(name: string): number | undefined {
  return STATUS_BY_NAME.get(name.toUpperCase());
}

/**
 * The grpc-status header value as a number: "1*DIGIT" per the spec. Anything else → undefined (the caller
 * records the raw header and an error).
 */
export function parseGrpcStatus(value: string): number | undefined {
  const v = value.trim();
  if (!/^[0-9]{1,10}$/.test(v)) return undefined;
  return Number(v);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes grpc-message: `%XX` sequences are bytes of a UTF-8 string. Per the spec, bad input is never
 * an error: an invalid `%` sequence is kept as is, and bytes that are not valid UTF-8 become U+FFFD.
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 0x25 && i + 2 < src.length) {
      const h = hexValue(src[i + 1]);
      const l = hexValue(src[i + 2]);
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.toString('utf8', 0, n);
}

/** Milliseconds per grpc-timeout unit: Hour, Minute, Second, milli, micro, nano. */
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/**
 * grpc-timeout ("TimeoutValue TimeoutUnit": at most 8 ASCII digits, then one of H M S m u n) in
 * milliseconds, or undefined when the value does not follow that grammar.
 */
export function parseGrpcTimeout(value: string): number | undefined {
  const m = /^([0-9]{1,8})([HMSmun])$/.exec(value.trim());
  if (!m) return undefined;
  const digits = Number(m[1]);
  const unit = m[2];
  // Divide for sub-millisecond units so that e.g. 1500u is exactly 1.5 rather than 1.5000000000000002.
  if (unit === 'u') return digits / 1e3;
  if (unit === 'n') return digits / 1e6;
  return digits * TIMEOUT_UNIT_MS[unit];
}

/**
 * Decodes a `-bin` header value: base64, padded or not (the spec lets senders omit padding and requires
 * receivers to accept both). Returns null when the text is not base64.
 */
export function decodeBinHeader(value: string): Buffer | null {
  const v = value.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(v, 'base64');
}

/** google.rpc.Status (https://github.com/googleapis/googleapis/blob/master/google/rpc/status.proto). */
export interface RpcStatus {
  code: number;
  message: string;
  /** Each `google.protobuf.Any` in proto3 JSON: `{"@type": url, ...fields}`, or `{"@type", value}`. */
  details: unknown[];
}


/**
 * Decodes one google.protobuf.Any as proto3 JSON with the loaded schema: `{"@type": url, ...fields}` for a
 * known message type, `{"@type": url, "value": <json>}` when the type's JSON is not an object (well-known
 * types), and `{"@type": url, "value": "<base64>"}` when the type is unknown.
 */
export function anyToJson(
  typeUrl: string,
  value: Uint8Array,
  decoder?: MessageDecoder,
  options?: DecodeOptions,
): Record<string, unknown> {
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (decoder && typeName) {
    const d = decoder.decode(typeName, value, options);
    if (d.messageType !== null && d.error === null) {
      if (d.body !== null && typeof d.body === 'object' && !Array.isArray(d.body) && !SPECIAL_JSON_TYPES.has(typeName)) {
        return { '@type': typeUrl, ...(d.body as Record<string, unknown>) };
      }
      return { '@type': typeUrl, value: d.body };
    }
  }
  return { '@type': typeUrl, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
}

/**
 * Decodes the bytes of grpc-status-details-bin as google.rpc.Status. Throws WireError (from the reader) when
 * the bytes are not a Status; `decoder` unpacks the details it knows.
 */
export function decodeRpcStatus(bytes: Uint8Array, decoder?: MessageDecoder, options?: DecodeOptions): RpcStatus {
  const r = new WireReader(bytes);
  const status: RpcStatus = { code: 0, message: '', details: [] };
  while (!r.eof()) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1 && wt === WireType.VARINT) status.code = r.varint32() | 0;
    else if (field === 2 && wt === WireType.LEN) status.message = Buffer.from(r.bytes()).toString('utf8');
    else if (field === 3 && wt === WireType.LEN) {
      const end = r.lengthDelimited();
      const any = new WireReader(bytes, r.pos, end);
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array(0);
      while (!any.eof()) {
        const t = any.tag();
        if (t === ((1 << 3) | WireType.LEN)) typeUrl = Buffer.from(any.bytes()).toString('utf8');
        else if (t === ((2 << 3) | WireType.LEN)) value = any.bytes();
        else any.skip(t & 7, t >>> 3);
      }
      r.pos = end;
      status.details.push(anyToJson(typeUrl, value, decoder, options));
    } else r.skip(wt, field);
  }
  return status;
}

/**
 * grpc-status-details-bin header value (base64) → google.rpc.Status, or an error string saying why not.
 */
export function decodeStatusDetailsBin(
  value: string,
  decoder?: MessageDecoder,
  options?: DecodeOptions,
): { status: RpcStatus; error: null } | { status: null; error: string } {
  const bytes = decodeBinHeader(value);
  if (bytes === null) return { status: null, error: 'grpc-status-details-bin is not base64' };
  try {
    return { status: decodeRpcStatus(bytes, decoder, options), error: null };
  } catch (e) {
    return { status: null, error: `grpc-status-details-bin is not a google.rpc.Status: ${(e as Error).message}` };
  }
}
