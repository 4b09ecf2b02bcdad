/**
 * Every field of the NDJSON record schema (./types.ts) once, with its JSON type: the registry that the
 * NDJSON reader validates against, export's default CSV columns follow, and CSV sanitizing consults. Like
 * Wireshark's hf_ registrations, a field is described here and nowhere else; adding a field to types.ts
 * means adding a line here.
 */
import type { CallRecord, FrameRecord, GrpcRecord, MessageRecord } from './types';

/**
 * JSON kinds: `object` is a JSON object of string values (headers); `any` is arbitrary JSON (a message
 * body, status details); `string[]` is an array of strings.
 */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'string[]' | 'any';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** null is allowed. */
  nullable: boolean;
  /** Must be present (optional fields were added to the schema later and may be absent). */
  required: boolean;
  /** Allowed values, for enumerations such as `direction`. */
  values?: readonly string[];
  /** One line for `--help` and the README. */
  doc: string;
}

function f(name: string, kind: FieldKind, doc: string, extra: Partial<FieldSpec> = {}): FieldSpec {
  return { name, kind, nullable: false, required: true, doc, ...extra };
}
const nullable = { nullable: true };
const optional = { nullable: true, required: false };

/** Fields of `{"type":"message"}` records, in the default CSV column order of `export --records messages`. */
export const MESSAGE_FIELDS: readonly FieldSpec[] = [
  f('frame', 'integer', 'number of the packet that completed the message'),
  f('ts', 'string', 'ISO-8601 UTC time of that packet'),
  f('tcp_stream', 'integer', "Wireshark's tcp.stream"),
  f('client', 'string', 'client ip:port'),
  f('server', 'string', 'server ip:port'),
  f('stream', 'integer', 'HTTP/2 stream id'),
  f('call_id', 'string', 'the call: TCP_STREAM/STREAM, as on the call record', { required: false }),
  f('method', 'string', 'full method path'),
  f('direction', 'string', 'request or response', { values: ['request', 'response'] }),
  f('index', 'integer', 'position within the call and direction, from 0'),
  f('compressed', 'boolean', 'compressed flag of the message prefix'),
  f('encoding', 'string', 'grpc-encoding when compressed', nullable),
  f('length', 'integer', 'message length without the 5-byte prefix'),
  f('message_type', 'string', 'protobuf type name', nullable),
  f('body', 'any', 'decoded body (proto3 JSON or raw decode)', nullable),
  f('error', 'string', 'why the body could not be decoded', nullable),
  f('method_group', 'string', 'unknown method #N when the :path was not seen', optional),
  f('inferred', 'string[]', 'fields inferred, not seen (method, message_type)', optional),
];

/** Fields of `{"type":"call"}` records, in the default CSV column order of `export --records calls`. */
export const CALL_FIELDS: readonly FieldSpec[] = [
  f('tcp_stream', 'integer', "Wireshark's tcp.stream"),
  f('client', 'string', 'client ip:port'),
  f('server', 'string', 'server ip:port'),
  f('stream', 'integer', 'HTTP/2 stream id'),
  f('call_id', 'string', 'TCP_STREAM/STREAM: joins a call with its messages', { required: false }),
  f('method', 'string', 'full method path'),
  // Not required: NDJSON written before the field existed has none (those calls were all gRPC).
  f('protocol', 'string', 'how the call travelled', { required: false, values: ['grpc', 'grpc-web', 'grpc-web-text', 'connect'] }),
  f('authority', 'string', ':authority of the request', nullable),
  f('start', 'string', 'ISO-8601 UTC time of the request HEADERS'),
  f('end', 'string', 'ISO-8601 UTC time the stream ended', nullable),
  f('duration_ms', 'number', 'end minus start in milliseconds', nullable),
  f('http_status', 'integer', ':status of the response', nullable),
  f('status', 'integer', 'grpc-status number', nullable),
  f('status_name', 'string', 'grpc-status name (OK, CANCELLED, ...)', nullable),
  f('grpc_message', 'string', 'grpc-message, percent-decoded', nullable),
  f('request_messages', 'integer', 'messages sent by the client'),
  f('response_messages', 'integer', 'messages sent by the server'),
  f('request_bytes', 'integer', 'sum of request message lengths'),
  f('response_bytes', 'integer', 'sum of response message lengths'),
  f('complete', 'boolean', 'the stream ended within the capture'),
  f('reset', 'string', 'RST_STREAM/GOAWAY error name', nullable),
  f('trailers_only', 'boolean', 'the response was Trailers-Only: one HEADERS block, in trailers', optional),
  f('timeout_ms', 'number', 'grpc-timeout in milliseconds', optional),
  f('first_frame', 'integer', 'first packet of the call'),
  f('last_frame', 'integer', 'last packet of the call'),
  f('request_headers', 'object', 'request headers by name'),
  f('response_headers', 'object', 'response headers by name'),
  f('trailers', 'object', 'trailers by name'),
  f('status_details', 'any', 'grpc-status-details-bin as google.rpc.Status', optional),
  f('errors', 'string[]', 'problems met while decoding the call', optional),
  f('tls', 'object', 'TLS of a decrypted connection: version, cipher_suite, sni, alpn, resumed', optional),
  f('method_group', 'string', 'unknown method #N when the :path was not seen', optional),
  f('inferred', 'string[]', 'fields inferred, not seen (method)', optional),
  f('inferred_reason', 'string', 'why the inferred fields were inferred', optional),
  f('method_candidates', 'string[]', 'methods that fit when the evidence names none alone', optional),
  f('status_unknown', 'boolean', 'trailers came, their grpc-status is from before the capture', optional),
];

/** Fields of `{"type":"frame"}` records (decode --frames). */
export const FRAME_FIELDS: readonly FieldSpec[] = [
  f('frame', 'integer', 'packet number'),
  f('ts', 'string', 'ISO-8601 UTC time of the packet'),
  f('tcp_stream', 'integer', "Wireshark's tcp.stream"),
  f('client', 'string', 'client ip:port'),
  f('server', 'string', 'server ip:port'),
  f('direction', 'string', 'request or response', { values: ['request', 'response'] }),
  f('stream', 'integer', 'HTTP/2 stream id'),
  f('frame_type', 'string', 'HTTP/2 frame type name'),
  f('flags', 'integer', 'HTTP/2 frame flags'),
  f('length', 'integer', 'HTTP/2 frame payload length'),
];

export type RecordType = GrpcRecord['type'];

export const FIELDS_BY_TYPE: Readonly<Record<RecordType, readonly FieldSpec[]>> = {
  message: MESSAGE_FIELDS,
  call: CALL_FIELDS,
  frame: FRAME_FIELDS,
};

/** Default CSV columns (the registry order) per record type. */
export const DEFAULT_COLUMNS: Readonly<Record<RecordType, readonly string[]>> = {
  message: MESSAGE_FIELDS.map((x) => x.name),
  call: CALL_FIELDS.map((x) => x.name),
  frame: FRAME_FIELDS.map((x) => x.name),
};

/** The field spec of a top-level field name, or undefined. */
export function fieldSpec(type: RecordType, name: string): FieldSpec | undefined {
  return FIELDS_BY_TYPE[type].find((x) => x.name === name);
}

/** True for fields whose values are JSON numbers (never sanitized in CSV, written unquoted). */
export function isNumericField(type: RecordType, name: string): boolean {
  const spec = fieldSpec(type, name);
  return spec !== undefined && (spec.kind === 'number' || spec.kind === 'integer');
}

/**
 * Why `value` does not fit `spec`, or null when it does. Used by the NDJSON reader: the message names the
 * field and what was expected, never the value (it may be huge or hostile).
 */
export function checkField(spec: FieldSpec, value: unknown): string | null {
  if (value === undefined) return spec.required ? `missing field "${spec.name}"` : null;
  if (value === null) return spec.nullable ? null : `field "${spec.name}" is null, expected ${describe(spec)}`;
  let ok: boolean;
  switch (spec.kind) {
    case 'string':
      ok = typeof value === 'string' && (spec.values === undefined || spec.values.includes(value));
      break;
    case 'number':
      ok = typeof value === 'number' && Number.isFinite(value);
      break;
    case 'integer':
      ok = typeof value === 'number' && Number.isSafeInteger(value);
      break;
    case 'boolean':
      ok = typeof value === 'boolean';
      break;
    case 'object':
      ok = typeof value === 'object' && !Array.isArray(value);
      break;
    case 'string[]':
      ok = Array.isArray(value) && value.every((v) => typeof v === 'string');
      break;
    case 'any':
      ok = true;
      break;
  }
  return ok ? null : `field "${spec.name}" is not ${describe(spec)}`;
}

function describe(spec: FieldSpec): string {
  if (spec.values) return spec.values.map((v) => JSON.stringify(v)).join(' or ');
  switch (spec.kind) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'string[]':
      return 'an array of strings';
    case 'any':
      return 'JSON';
    default:
      return `a ${spec.kind}`;
  }
}

/**
 * Deepest nesting of a record accepted from NDJSON, in JSON levels. A deeper line is a bad line: writing
 * it back (decode's NDJSON or text, export) goes through JSON.stringify, which recurses and overflows the
 * stack at about 4,000 levels. What decode writes stays below it: --max-depth allows at most 1,000
 * protobuf levels, at most two JSON levels each (a repeated field's array, then the message).
 */
export const MAX_JSON_DEPTH = 2_500;

/** Whether `value` nests deeper than `max` levels; iterative, since it may be deeper than recursion allows. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

export type { CallRecord, FrameRecord, MessageRecord };
