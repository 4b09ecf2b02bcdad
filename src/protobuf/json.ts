/**
 * Canonical proto3 JSON (https://protobuf.dev/programming-guides/json/) of message bytes, decoded straight
 * from the wire with protobufjs reflection (Type/Field/Enum) as the schema. protobufjs's own
 * `decode` + `toObject` is not used: it differs from the mapping (64-bit integers, well-known types,
 * json_name, presence) and has no depth limit of ours. Output follows protoc's JsonFormat with default
 * options:
 *
 * - keys are json_name (lowerCamelCase of the .proto name unless `[json_name]` says otherwise), or the
 *   .proto names with `protoNames`; fields in field-number order;
 * - int64, uint64, sint64, fixed64, sfixed64 as decimal strings; other integers as numbers;
 * - float and double as numbers (a float as the shortest decimal that reads back to the same float32),
 *   NaN/Infinity/-Infinity as strings; bytes as standard padded base64; enums by name, unknown values as
 *   numbers; google.protobuf.NullValue as null;
 * - fields without presence (proto3 singular scalars that are not `optional` or in a oneof) are omitted
 *   when they hold their default; fields with presence are printed whenever they were on the wire;
 *   empty repeated fields and maps are omitted; map keys are strings;
 * - well-known types: Timestamp as RFC 3339 UTC with 0, 3, 6 or 9 fractional digits; Duration as "1.5s";
 *   wrappers as their value; Struct/Value/ListValue as plain JSON; FieldMask as comma-joined lowerCamelCase
 *   paths; Empty as {}; Any as {"@type": url, ...fields} (or {"@type", "value": json} for well-known types)
 *   when its type is in the schema, else {"@type": url, "value": "<base64>"} (protoc would fail there).
 *
 * Unknown field numbers are skipped, as JsonFormat does. A known field with the wrong wire type, bytes that
 * end early, or nesting beyond `maxDepth` is an error (JsonError or WireError): the caller falls back to the
 * raw decode (raw.ts) with the reason.
 */
import * as protobuf from 'protobufjs';
import { base64 } from './raw';
import { WireError, WireReader, WireType } from './wire';
import { SPECIAL_JSON_TYPES } from './wkt';

export interface JsonOptions {
  protoNames?: boolean;
  /** Nesting depth limit (default 100). */
  maxDepth?: number;
  /**
   * Reject what a lenient parser accepts: a field number the type does not define, an enum number it does
   * not name, a string that is not valid UTF-8. For telling which of several types some bytes are.
   */
  strict?: boolean;
}

/** The bytes do not fit the schema, or cannot be represented in JSON (e.g. a Timestamp out of range). */
export class JsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonError';
  }
}

export const DEFAULT_JSON_MAX_DEPTH = 100;

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

type Kind =
  | 'double'
  | 'float'
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'fixed32'
  | 'sfixed32'
  | 'int64'
  | 'uint64'
  | 'sint64'
  | 'fixed64'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'enum'
  | 'message'
  | 'group';

/** The wire type each kind is written with (packed repeated scalars use LEN instead). */
const WIRE_OF: Record<Kind, WireType> = {
  double: WireType.I64,
  float: WireType.I32,
  int32: WireType.VARINT,
  uint32: WireType.VARINT,
  sint32: WireType.VARINT,
  fixed32: WireType.I32,
  sfixed32: WireType.I32,
  int64: WireType.VARINT,
  uint64: WireType.VARINT,
  sint64: WireType.VARINT,
  fixed64: WireType.I64,
  sfixed64: WireType.I64,
  bool: WireType.VARINT,
  string: WireType.LEN,
  bytes: WireType.LEN,
  enum: WireType.VARINT,
  message: WireType.LEN,
  group: WireType.SGROUP,
};

interface FieldInfo {
  field: protobuf.Field;
  id: number;
  /** Position in TypeInfo.ordered, and the slot of the field's value while a message is decoded. */
  index: number;
  key: string;
  kind: Kind;
  repeated: boolean;
  /** Presence: printed whenever set, even to its default. */
  presence: boolean;
  resolvedType: protobuf.Type | protobuf.Enum | null;
  oneof: protobuf.OneOf | null;
  /** Maps: key kind; value described by kind/resolvedType. */
  mapKey: Kind | null;
  /** Enum fields: the enum is google.protobuf.NullValue (its values print as null). */
  nullValue: boolean;
}

interface TypeInfo {
  /** By field number. */
  byId: Map<number, FieldInfo>;
  /** In field-number order, for output. */
  ordered: FieldInfo[];
  /**
   * Fully qualified name without the leading dot. Kept here because protobufjs's `fullName` is a getter
   * that rebuilds the name from the parents on every read (measured: 5% of decode when read per message).
   */
  fullName: string;
  /** A well-known type with its own JSON form (wkt.ts). */
  special: boolean;
}

/** Fully qualified names of enums (without the leading dot), cached for the same reason as TypeInfo.fullName. */
const enumNames = new WeakMap<protobuf.Enum, string>();

function enumFullName(e: protobuf.Enum): string {
  let name = enumNames.get(e);
  if (name === undefined) {
    name = e.fullName.slice(1);
    enumNames.set(e, name);
  }
  return name;
}

/** A field absent from the message being decoded (values may be undefined: a message field not yet merged). */
const ABSENT: unique symbol = Symbol('absent');

/** protoc's ToJsonName: drop each underscore and upper-case the letter after it. */
export function jsonName(protoName: string): string {
  let out = '';
  let upper = false;
  for (const c of protoName) {
    if (c === '_') upper = true;
    else if (upper) {
      out += c.toUpperCase();
      upper = false;
    } else out += c;
  }
  return out;
}

function kindOf(typeName: string, resolved: protobuf.ReflectionObject | null, delimited: boolean): Kind {
  if (resolved instanceof protobuf.Enum) return 'enum';
  if (resolved instanceof protobuf.Type) return delimited ? 'group' : 'message';
  if (typeName in WIRE_OF) return typeName as Kind;
  throw new JsonError(`unsupported field type ${typeName}`);
}

const infoCache = new WeakMap<protobuf.Type, Map<boolean, TypeInfo>>();

function typeInfo(type: protobuf.Type, protoNames: boolean): TypeInfo {
  let byMode = infoCache.get(type);
  if (!byMode) infoCache.set(type, (byMode = new Map()));
  let info = byMode.get(protoNames);
  if (info) return info;
  const byId = new Map<number, FieldInfo>();
  for (const f of type.fieldsArray) {
    f.resolve();
    const isMap = f instanceof protobuf.MapField;
    const kind = kindOf(f.type, f.resolvedType, !isMap && f.delimited);
    const jsonOpt = f.options?.json_name as string | undefined;
    const resolved = f.resolvedType as protobuf.Type | protobuf.Enum | null;
    byId.set(f.id, {
      field: f,
      id: f.id,
      index: 0,
      key: protoNames ? f.name : (jsonOpt ?? jsonName(f.name)),
      kind,
      repeated: f.repeated,
      presence: !f.repeated && !isMap && (Boolean(f.hasPresence) || kind === 'message' || kind === 'group'),
      resolvedType: f.resolvedType as protobuf.Type | protobuf.Enum | null,
      oneof: f.partOf,
      mapKey: isMap ? kindOf((f as unknown as protobuf.MapField).keyType, null, false) : null,
      nullValue: resolved instanceof protobuf.Enum && enumFullName(resolved) === 'google.protobuf.NullValue',
    });
  }
  const ordered = [...byId.values()].sort((a, b) => a.id - b.id);
  ordered.forEach((f, i) => (f.index = i));
  const fullName = type.fullName.slice(1);
  info = { byId, ordered, fullName, special: fullName.startsWith('google.protobuf.') && SPECIAL_JSON_TYPES.has(fullName) };
  byMode.set(protoNames, info);
  return info;
}

interface Ctx {
  root: protobuf.Root;
  protoNames: boolean;
  maxDepth: number;
  strict: boolean;
}

/** Decodes `bytes` as `type` and returns its canonical JSON. Throws JsonError or WireError. */
export function messageToJson(type: protobuf.Type, bytes: Uint8Array, options: JsonOptions = {}): unknown {
  const ctx: Ctx = {
    root: type.root as protobuf.Root,
    protoNames: options.protoNames ?? false,
    maxDepth: options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH,
    strict: options.strict ?? false,
  };
  return decodeMessage(type, new WireReader(bytes), 0, 1, ctx);
}

/**
 * Collected values of one message before conversion to JSON, by FieldInfo.index (ABSENT: not on the wire).
 * An array, not a Map keyed by field: one allocation per message, and indexed reads.
 */
type Collected = unknown[];

function has(values: Collected, f: FieldInfo): boolean {
  return values[f.index] !== ABSENT;
}

function decodeMessage(type: protobuf.Type, r: WireReader, group: number, depth: number, ctx: Ctx): unknown {
  if (depth > ctx.maxDepth) throw new JsonError(`nesting deeper than ${ctx.maxDepth} at offset ${r.pos}`);
  const info = typeInfo(type, ctx.protoNames);
  const values: Collected = new Array(info.ordered.length).fill(ABSENT);
  /** Singular message fields: every occurrence's bytes, merged at the end as protobuf merges them. */
  let pendingMessages: Map<FieldInfo, Uint8Array[]> | undefined;

  for (;;) {
    if (r.eof()) {
      if (group !== 0) throw new WireError(`group ${group} not closed at offset ${r.pos}`);
      break;
    }
    const tag = r.tag();
    const id = tag >>> 3;
    const wt = tag & 7;
    if (wt === WireType.EGROUP) {
      if (id !== group) throw new WireError(`unexpected end group ${id} at offset ${r.pos}`);
      break;
    }
    const f = info.byId.get(id);
    if (!f) {
      if (ctx.strict) throw new JsonError(`field ${id} is not defined by ${type.name}`);
      r.skip(wt, id);
      continue;
    }
    if (f.oneof) {
      // Setting one member of a oneof clears the others (last one on the wire wins).
      for (const name of f.oneof.oneof) {
        const other = type.fields[name];
        if (other && other.id !== id) {
          const oi = info.byId.get(other.id)!;
          values[oi.index] = ABSENT;
          pendingMessages?.delete(oi);
        }
      }
    }
    if (f.mapKey !== null) {
      if (wt !== WireType.LEN) throw wrongWire(f, wt, WireType.LEN);
      const end = r.lengthDelimited();
      const [k, v] = decodeMapEntry(f, new WireReader(r.buf, r.pos, end), depth, ctx);
      r.pos = end;
      let m = values[f.index] as Map<string, unknown> | typeof ABSENT;
      if (m === ABSENT) values[f.index] = m = new Map();
      m.set(k, v);
      continue;
    }
    const expected = WIRE_OF[f.kind];
    if (f.repeated) {
      let arr = values[f.index] as unknown[] | typeof ABSENT;
      if (arr === ABSENT) values[f.index] = arr = [];
      if (wt === WireType.LEN && expected !== WireType.LEN && f.kind !== 'group') {
        // Packed: accepted whatever the schema says, as parsers must (encoding guide, "Packed").
        const end = r.lengthDelimited();
        const sub = new WireReader(r.buf, r.pos, end);
        while (!sub.eof()) arr.push(readValue(f, WIRE_OF[f.kind], sub, depth, ctx));
        r.pos = end;
      } else {
        if (!fits(f, wt)) throw wrongWire(f, wt, expected);
        arr.push(readValue(f, wt, r, depth, ctx));
      }
      continue;
    }
    if (!fits(f, wt)) throw wrongWire(f, wt, expected);
    if (wt === WireType.LEN && f.kind === 'message') {
      if (!pendingMessages) pendingMessages = new Map();
      let list = pendingMessages.get(f);
      if (!list) pendingMessages.set(f, (list = []));
      list.push(r.bytes());
      values[f.index] = undefined; // placeholder keeping the presence
      continue;
    }
    values[f.index] = readValue(f, wt, r, depth, ctx);
  }

  if (pendingMessages) {
    for (const [f, parts] of pendingMessages) {
      if (!has(values, f)) continue;
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      values[f.index] = decodeMessage(f.resolvedType as protobuf.Type, new WireReader(bytes), 0, depth + 1, ctx);
    }
  }

  if (info.special) {
    const special = wellKnown(info, values, ctx, depth);
    if (special !== NOT_SPECIAL) return special;
  }
  return toObject(info, values);
}

/**
 * Whether wire type `wt` can carry a value of `f`. Message fields are accepted both length-delimited and as
 * groups: protobufjs's descriptor import does not keep TYPE_GROUP, and editions' DELIMITED encoding makes
 * the choice per field anyway.
 */
function fits(f: FieldInfo, wt: number): boolean {
  const expected = WIRE_OF[f.kind];
  if (wt === expected) return true;
  return (f.kind === 'message' || f.kind === 'group') && (wt === WireType.LEN || wt === WireType.SGROUP);
}

function wrongWire(f: FieldInfo, got: number, expected: number): JsonError {
  return new JsonError(`field ${f.id} (${f.field.name}) has wire type ${got}, the schema says ${expected}`);
}

/** Reads one value of `f` (not a map) whose tag, of wire type `wt`, has been read, as JSON. */
function readValue(f: FieldInfo, wt: number, r: WireReader, depth: number, ctx: Ctx): unknown {
  switch (f.kind) {
    case 'message':
    case 'group': {
      if (wt === WireType.SGROUP) return decodeMessage(f.resolvedType as protobuf.Type, r, f.id, depth + 1, ctx);
      const end = r.lengthDelimited();
      const v = decodeMessage(f.resolvedType as protobuf.Type, new WireReader(r.buf, r.pos, end), 0, depth + 1, ctx);
      r.pos = end;
      return v;
    }
    case 'enum': {
      const n = r.varint32() | 0;
      if (f.nullValue) return null;
      const name = (f.resolvedType as protobuf.Enum).valuesById[n];
      if (name === undefined && ctx.strict) throw new JsonError(`enum value ${n} is not defined for field ${f.id}`);
      return name === undefined ? n : name;
    }
    case 'string': {
      const v = utf8String(r);
      if (ctx.strict && v.includes('\uFFFD')) throw new JsonError(`field ${f.id} is not valid UTF-8`);
      return v;
    }
    default:
      return readScalar(f.kind, r);
  }
}

function enumValue(e: protobuf.Enum, n: number): unknown {
  if (enumFullName(e) === 'google.protobuf.NullValue') return null;
  const name = e.valuesById[n];
  return name === undefined ? n : name;
}

function readScalar(kind: Kind, r: WireReader): unknown {
  switch (kind) {
    case 'int32':
      return r.varint32() | 0;
    case 'uint32':
      return r.varint32();
    case 'sint32': {
      const n = r.varint32();
      return (n >>> 1) ^ -(n & 1);
    }
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.fixed32() | 0;
    case 'int64':
      r.varint();
      return signed64(r);
    case 'uint64':
      r.varint();
      return unsigned64(r);
    case 'sint64':
      r.varint();
      return r.bigZigzag().toString();
    case 'fixed64':
      r.fixed64();
      return unsigned64(r);
    case 'sfixed64':
      r.fixed64();
      return signed64(r);
    case 'bool':
      r.varint();
      return r.lo !== 0 || r.hi !== 0;
    case 'float':
      return floatJson(r.float());
    case 'double':
      return doubleJson(r.double());
    case 'string':
      return utf8String(r);
    case 'bytes':
      return base64(r.bytes());
    default:
      throw new JsonError(`not a scalar: ${kind}`);
  }
}

/**
 * Strings up to this many octets that are ASCII are built in JS; longer ones, or any with a non-ASCII
 * octet, go through TextDecoder (a native call costs more than the loop for short strings, measured).
 */
const SHORT_STRING_OCTETS = 32;

/** A length-delimited UTF-8 string field (malformed sequences become U+FFFD, as TextDecoder does). */
function utf8String(r: WireReader): string {
  const end = r.lengthDelimited();
  const buf = r.buf;
  const start = r.pos;
  r.pos = end;
  if (end - start <= SHORT_STRING_OCTETS) {
    let s = '';
    let i = start;
    for (; i < end; i++) {
      const c = buf[i];
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  return utf8.decode(buf.subarray(start, end));
}

function unsigned64(r: WireReader): string {
  return r.hi < 0x200000 ? String(r.hi * TWO_32 + r.lo) : r.bigUnsigned().toString();
}

function signed64(r: WireReader): string {
  return r.hi < 0x200000 ? String(r.hi * TWO_32 + r.lo) : r.bigSigned().toString();
}

function doubleJson(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** The shortest decimal that reads back as the same float32 (what protoc prints for 0.1f: 0.1). */
export function floatJson(v: number): number | string {
  if (!Number.isFinite(v)) return doubleJson(v);
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 24) return v;
  for (let p = 1; p <= 9; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === v) return n;
  }
  return v;
}

function decodeMapEntry(f: FieldInfo, r: WireReader, depth: number, ctx: Ctx): [string, unknown] {
  let key: unknown;
  let value: unknown;
  let valueBytes: Uint8Array | undefined;
  while (!r.eof()) {
    const tag = r.tag();
    const id = tag >>> 3;
    const wt = tag & 7;
    if (id === 1 && wt === WIRE_OF[f.mapKey!]) key = readScalar(f.mapKey!, r);
    else if (id === 2 && f.kind === 'message' && wt === WireType.LEN) valueBytes = r.bytes();
    else if (id === 2 && wt === WIRE_OF[f.kind]) value = readValue(f, wt, r, depth, ctx);
    else if (id === 1 || id === 2) throw wrongWire(f, wt, id === 1 ? WIRE_OF[f.mapKey!] : WIRE_OF[f.kind]);
    else r.skip(wt, id);
  }
  if (f.kind === 'message') {
    value = decodeMessage(f.resolvedType as protobuf.Type, new WireReader(valueBytes ?? new Uint8Array(0)), 0, depth + 1, ctx);
  } else if (value === undefined) {
    value = defaultValue(f.kind, f.resolvedType);
  }
  if (key === undefined) key = defaultValue(f.mapKey!, null);
  return [String(key), value];
}

function defaultValue(kind: Kind, resolved: protobuf.Type | protobuf.Enum | null): unknown {
  switch (kind) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return '0';
    case 'bool':
      return false;
    case 'string':
    case 'bytes':
      return '';
    case 'enum':
      return enumValue(resolved as protobuf.Enum, 0);
    case 'message':
    case 'group':
      return {};
    default:
      return 0;
  }
}

function isDefault(f: FieldInfo, v: unknown): boolean {
  switch (f.kind) {
    case 'enum':
      return v === enumValue(f.resolvedType as protobuf.Enum, 0);
    case 'float':
    case 'double':
      return v === 0 && !Object.is(v, -0);
    default:
      return v === defaultValue(f.kind, null);
  }
}

/** Assigns an own property even for the key "__proto__" (map keys come from the data). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function toObject(info: TypeInfo, values: Collected): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ordered = info.ordered;
  for (let i = 0; i < ordered.length; i++) {
    const f = ordered[i];
    const v = values[i];
    if (v === ABSENT) continue;
    if (f.mapKey !== null) {
      const m = v as Map<string, unknown>;
      if (m.size === 0) continue;
      const o: Record<string, unknown> = {};
      for (const [k, x] of m) setOwn(o, k, x);
      out[f.key] = o;
    } else if (f.repeated) {
      if ((v as unknown[]).length > 0) out[f.key] = v;
    } else if (f.presence || !isDefault(f, v)) {
      out[f.key] = v;
    }
  }
  return out;
}

// --- well-known types ------------------------------------------------------------------------------------

const NOT_SPECIAL = Symbol('not special');

/** Value of the field numbered `id` as collected (JSON form), or undefined. */
function get(info: TypeInfo, values: Collected, id: number): unknown {
  const f = info.byId.get(id);
  if (!f) return undefined;
  const v = values[f.index];
  return v === ABSENT ? undefined : v;
}

/** Seconds between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: Timestamp's range. */
const MIN_TIMESTAMP_SECONDS = -62135596800;
const MAX_TIMESTAMP_SECONDS = 253402300799;
/** Duration's range: ±10,000 years. */
const MAX_DURATION_SECONDS = 315576000000;

/** 0, 3, 6 or 9 fractional digits, as JsonFormat prints them. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return '.' + String(nanos / 1_000_000).padStart(3, '0');
  if (nanos % 1000 === 0) return '.' + String(nanos / 1000).padStart(6, '0');
  return '.' + String(nanos).padStart(9, '0');
}

export function timestampJson(seconds: number, nanos: number): string {
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS || nanos < 0 || nanos > 999_999_999) {
    throw new JsonError(`Timestamp out of range: seconds ${seconds}, nanos ${nanos}`);
  }
  const iso = new Date(seconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z for years 1..9999
  return iso.slice(0, 19) + fraction(nanos) + 'Z';
}

export function durationJson(seconds: number, nanos: number): string {
  if (
    Math.abs(seconds) > MAX_DURATION_SECONDS ||
    Math.abs(nanos) > 999_999_999 ||
    (seconds > 0 && nanos < 0) ||
    (seconds < 0 && nanos > 0)
  ) {
    throw new JsonError(`Duration out of range: seconds ${seconds}, nanos ${nanos}`);
  }
  const negative = seconds < 0 || nanos < 0;
  return (negative ? '-' : '') + String(Math.abs(seconds)) + fraction(Math.abs(nanos)) + 's';
}

function wellKnown(info: TypeInfo, values: Collected, ctx: Ctx, depth: number): unknown {
  const name = info.fullName;
  switch (name) {
    case 'google.protobuf.Timestamp':
      return timestampJson(Number(get(info, values, 1) ?? 0), Number(get(info, values, 2) ?? 0));
    case 'google.protobuf.Duration':
      return durationJson(Number(get(info, values, 1) ?? 0), Number(get(info, values, 2) ?? 0));
    case 'google.protobuf.Empty':
      return {};
    case 'google.protobuf.FieldMask':
      return ((get(info, values, 1) as string[] | undefined) ?? []).map(jsonName).join(',');
    case 'google.protobuf.Struct': {
      const m = get(info, values, 1) as Map<string, unknown> | undefined;
      const o: Record<string, unknown> = {};
      if (m) for (const [k, v] of m) setOwn(o, k, v);
      return o;
    }
    case 'google.protobuf.ListValue':
      return (get(info, values, 1) as unknown[] | undefined) ?? [];
    case 'google.protobuf.Value': {
      // kind oneof: null_value 1, number_value 2, string_value 3, bool_value 4, struct_value 5, list_value 6.
      for (let id = 1; id <= 6; id++) {
        const f = info.byId.get(id);
        if (f && has(values, f)) return id === 1 ? null : values[f.index];
      }
      return null; // no kind set: JsonFormat refuses; null is the closest JSON value
    }
    case 'google.protobuf.Any':
      return anyJson(String(get(info, values, 1) ?? ''), (get(info, values, 2) as string | undefined) ?? '', ctx, depth);
    default: {
      // Wrappers: the value field (1), or its default when absent.
      const f = info.byId.get(1);
      if (!f) return NOT_SPECIAL;
      return has(values, f) ? values[f.index] : defaultValue(f.kind, f.resolvedType);
    }
  }
}

function anyJson(typeUrl: string, valueB64: string, ctx: Ctx, depth: number): unknown {
  if (typeUrl === '' && valueB64 === '') return {};
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  let t: protobuf.Type | undefined;
  try {
    t = ctx.root.lookupType(typeName);
  } catch {
    t = undefined;
  }
  if (!t) return { '@type': typeUrl, value: valueB64 };
  const bytes = Buffer.from(valueB64, 'base64');
  const inner = decodeMessage(t, new WireReader(bytes), 0, depth + 1, ctx);
  if (SPECIAL_JSON_TYPES.has(t.fullName.slice(1))) return { '@type': typeUrl, value: inner };
  return { '@type': typeUrl, ...(inner as Record<string, unknown>) };
}
