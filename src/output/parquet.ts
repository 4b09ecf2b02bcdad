/**
 * Parquet for analytics engines (DuckDB, ClickHouse, Trino, Spark, Athena): call or message records as a
 * Parquet file with the column names of the NDJSON schema (../records/fields.ts), typed:
 *  - `start`, `end`, `ts`: TIMESTAMP(NANOS, adjusted to UTC), the records' nanoseconds kept exactly;
 *  - integers: INT32 where the protocol bounds them (`tcp_stream`, HTTP/2 `stream`, `http_status`, gRPC
 *    `status`), INT64 for counts, bytes and packet numbers; `duration_ms`, `timeout_ms`: DOUBLE;
 *  - booleans: BOOLEAN; text: STRING (UTF-8);
 *  - headers, trailers, bodies, status details, errors: JSON text (logical type JSON), which every engine
 *    above reads and queries (`request_headers->>'user-agent'` in DuckDB);
 *  - with --columns, a dotted path inside headers or trailers is STRING (header values are text), any
 *    other dotted path JSON.
 * Every column is OPTIONAL: a value grpctk did not see is null, never a made-up one.
 *
 * Written with `hyparquet-writer` (pure JavaScript) one row group at a time: rows are gathered column by
 * column until PARQUET_ROW_GROUP_ROWS rows or about PARQUET_ROW_GROUP_BYTES of text, then encoded, handed
 * to the output edge and dropped, so memory holds one row group whatever the capture's length. The footer
 * (the schema and where each row group is) is written by `end()`; a file is renamed into place only then
 * (./sink.ts), so an unfinished Parquet file is never presented as the result.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { parseIsoTimeInto, type IsoInstant } from '../records/time';
import { fieldSpec, type RecordType } from '../records/fields';
import { pickPath } from '../records/columns';
import { version } from '../version';

/** Rows gathered before a row group is written: 100,000 (DuckDB's and Spark's readers like 100k-1M). */
export const PARQUET_ROW_GROUP_ROWS = 100_000;

/**
 * Text (strings and JSON) gathered before a row group is written whatever its row count: 64 MiB, so rows
 * with large message bodies still leave in bounded memory.
 */
export const PARQUET_ROW_GROUP_BYTES = 64 * 1024 * 1024;

/**
 * Distinct strings and objects whose UTF-8 bytes are kept for reuse (each cache emptied when full): a
 * repeated value costs one buffer per row group rather than one per row.
 */
export const PARQUET_VALUE_CACHE_ENTRIES = 4096;
const CACHED_TEXT_MAX_CHARS = 512;

/** Fields whose values the protocol bounds to 31 bits: INT32. Other integers are INT64. */
const INT32_FIELDS = new Set(['tcp_stream', 'stream', 'http_status', 'status']);

/** Fields holding record timestamps (ISO-8601 text in NDJSON). */
const TIME_FIELDS = new Set(['start', 'end', 'ts']);

/** Header objects: a dotted path inside them is a header value, text. */
const HEADER_FIELDS = new Set(['request_headers', 'response_headers', 'trailers']);

type Kind = 'int32' | 'int64' | 'double' | 'boolean' | 'string' | 'timestamp' | 'json';

interface Column {
  name: string;
  kind: Kind;
  values: unknown[];
}

/** The Parquet kind of a column (a top-level field or a dotted path) of a record type. */
export function parquetKind(type: RecordType, column: string): Kind {
  const spec = fieldSpec(type, column);
  if (spec === undefined) {
    const top = column.split('.')[0];
    return HEADER_FIELDS.has(top) ? 'string' : 'json';
  }
  if (TIME_FIELDS.has(spec.name)) return 'timestamp';
  switch (spec.kind) {
    case 'integer':
      return INT32_FIELDS.has(spec.name) ? 'int32' : 'int64';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    default:
      return 'json';
  }
}

function schemaElement(c: Column): SchemaElement {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  switch (c.kind) {
    case 'int32':
      return { ...base, type: 'INT32' };
    case 'int64':
      return { ...base, type: 'INT64' };
    case 'double':
      return { ...base, type: 'DOUBLE' };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'string':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'timestamp':
      return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } };
    case 'json':
      // The logical type alone: hyparquet-writer would stringify again text under converted_type JSON.
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'JSON' } };
  }
}

/**
 * A ByteWriter that hands what it holds to `emit` after each row group (and at the end) and starts over:
 * the file leaves in row groups, never whole.
 */
class ChunkWriter extends ByteWriter {
  constructor(private readonly emit: (bytes: Uint8Array) => void) {
    super(1024 * 1024);
  }

  flush(): void {
    if (this.index === 0) return;
    // A copy: the buffer is reused for the next row group while the output edge may still hold the bytes.
    this.emit(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

export class ParquetRecordWriter {
  /** Rows written (all row groups). */
  rows = 0;
  private readonly columns: Column[];
  private readonly writer: ParquetWriter;
  private pendingRows = 0;
  private pendingBytes = 0;
  private readonly instant: IsoInstant = { seconds: 0, nanos: 0 };
  /** Bytes of short strings and of objects (by identity), so repeated values share one buffer. */
  private readonly strings = new Map<string, Uint8Array>();
  private readonly objects = new Map<object, Uint8Array>();

  constructor(
    emit: (bytes: Uint8Array) => void,
    private readonly type: RecordType,
    columnNames: readonly string[],
    private readonly limits: { rowGroupRows?: number; rowGroupBytes?: number } = {},
  ) {
    this.columns = columnNames.map((name) => ({ name, kind: parquetKind(type, name), values: [] }));
    const schema: SchemaElement[] = [{ name: 'root', num_children: this.columns.length }, ...this.columns.map(schemaElement)];
    this.writer = new ParquetWriter({
      writer: new ChunkWriter(emit),
      schema,
      createdBy: `grpctk version ${version}`,
      kvMetadata: [{ key: 'grpctk.records', value: type === 'call' ? 'calls' : 'messages' }],
    });
  }

  /** One record as a row. */
  add(record: unknown): void {
    for (const c of this.columns) {
      const v = record !== null && typeof record === 'object' && !c.name.includes('.') ? (record as Record<string, unknown>)[c.name] : pickPath(record, c.name);
      c.values.push(this.convert(c.kind, v));
    }
    this.pendingRows++;
    if (this.pendingRows >= (this.limits.rowGroupRows ?? PARQUET_ROW_GROUP_ROWS) || this.pendingBytes >= (this.limits.rowGroupBytes ?? PARQUET_ROW_GROUP_BYTES)) {
      this.flushGroup();
    }
  }

  private convert(kind: Kind, v: unknown): unknown {
    if (v === null || v === undefined) return null;
    switch (kind) {
      case 'int32':
        return typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff ? v : null;
      case 'int64':
        return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : null;
      case 'double':
        return typeof v === 'number' ? v : null;
      case 'boolean':
        return typeof v === 'boolean' ? v : null;
      case 'timestamp': {
        if (typeof v !== 'string' || !parseIsoTimeInto(v, this.instant)) return null;
        return BigInt(this.instant.seconds) * 1_000_000_000n + BigInt(this.instant.nanos);
      }
      case 'string':
        return this.text(typeof v === 'string' ? v : JSON.stringify(v));
      case 'json': {
        if (typeof v === 'object') {
          // Header objects are shared between calls by the gRPC layer: their bytes are made once.
          const cached = this.objects.get(v);
          if (cached !== undefined) return cached;
          const bytes = this.encode(JSON.stringify(v));
          if (this.objects.size >= PARQUET_VALUE_CACHE_ENTRIES) this.objects.clear();
          this.objects.set(v, bytes);
          return bytes;
        }
        const text = JSON.stringify(v);
        return text === undefined ? null : this.encode(text);
      }
    }
  }

  /** Text as UTF-8 bytes, from the cache when short (addresses, methods, names repeat from row to row). */
  private text(s: string): Uint8Array {
    if (s.length > CACHED_TEXT_MAX_CHARS) return this.encode(s);
    let bytes = this.strings.get(s);
    if (bytes === undefined) {
      bytes = this.encode(s);
      if (this.strings.size >= PARQUET_VALUE_CACHE_ENTRIES) this.strings.clear();
      this.strings.set(s, bytes);
    } else {
      this.pendingBytes += bytes.length;
    }
    return bytes;
  }

  private encode(s: string): Uint8Array {
    const bytes = Buffer.from(s, 'utf8');
    this.pendingBytes += bytes.length;
    return bytes;
  }

  private flushGroup(): void {
    if (this.pendingRows === 0) return;
    const n = this.pendingRows;
    this.writer.write({
      columnData: this.columns.map((c) => ({
        name: c.name,
        data: c.values,
        // Statistics of JSON text help no reader's pruning; skipping them saves a pass over the bytes.
        statistics: c.kind !== 'json',
      })),
      rowGroupSize: n,
    });
    for (const c of this.columns) c.values = [];
    // The caches' buffers went into this row group: let them go with it.
    this.strings.clear();
    this.objects.clear();
    this.rows += n;
    this.pendingRows = 0;
    this.pendingBytes = 0;
  }

  /** Writes what is left and the footer. */
  end(): void {
    this.flushGroup();
    this.writer.finish();
  }
}
