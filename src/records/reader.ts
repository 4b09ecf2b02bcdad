/**
 * The NDJSON record reader: the inverse of `grpctk decode --format ndjson`, so that stats, export and split
 * work the same on a capture and on NDJSON (https://github.com/ndjson/ndjson-spec).
 *
 * A push-style state machine like the other layers: `push()` chunks of text or bytes in any sizes, `end()`
 * once; every complete line is parsed, checked against the field registry (./fields.ts) and handed to the
 * sink synchronously. Blank lines are skipped, CRLF line ends and a leading UTF-8 byte order mark are
 * accepted, and the last line needs no newline.
 *
 * Bad lines (not JSON, not an object, a record of an unknown type, a field missing or of the wrong type):
 *   - `onError: 'stop'` (the default): the first one throws `InputError("line N: <reason>")` from the push()
 *     or end() that completed it. Every record before it has been delivered; the caller reports what it has
 *     and exits 1 (errors.ts). A clear stop is the default because a bad line usually means the wrong input
 *     (a capture of something else, a log file), and guessing past it would give wrong answers quietly.
 *   - `onError: 'skip'`: the line is counted in `badLines`, its error is kept in `firstError` and passed to
 *     `onBadLine`, and reading goes on with the next line; the caller decides what to report at the end.
 */
import { InputError } from '../errors';
import type { RecordSink } from './types';
import { checkField, FIELDS_BY_TYPE, MAX_JSON_DEPTH, nestsDeeperThan, type RecordType } from './fields';
import type { GrpcRecord } from './types';

/**
 * Longest line accepted, in UTF-16 code units (about characters): 16 Mi. What one record costs is a
 * multiple of its line, not the line alone: reading it holds the text, the joined line and the parsed
 * strings (about 5 times the line, measured), and a writer adds its own copies (CSV about 8 times); at the
 * former 64 Mi one line took 2.2 GB to show as text. 16 Mi keeps any record within the 256 MB budget of the
 * README's Limits; it holds a message of about 12 MB (bytes fields are base64 in JSON). A longer line is a
 * bad line (see above); while skipping, its bytes are dropped as they arrive.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export interface RecordReaderOptions {
  /** What a bad line does: throw at once ('stop', the default) or count and go on ('skip'). */
  onError?: 'stop' | 'skip';
  /** Called for each bad line in 'skip' mode. */
  onBadLine?: (err: InputError) => void;
  /** Overrides MAX_LINE_CHARS (tests). */
  maxLineChars?: number;
}

const RECORD_TYPES: readonly RecordType[] = ['message', 'call', 'frame'];

export class RecordReader {
  /** Lines seen so far (complete ones, including blank and bad lines). */
  lines = 0;
  /** Records delivered to the sink. */
  records = 0;
  /** Bad lines skipped ('skip' mode). */
  badLines = 0;
  /** The first bad line's error ('skip' mode), for a summary at the end. */
  firstError: InputError | null = null;

  private readonly decoder = new TextDecoder('utf-8');
  private readonly stopOnError: boolean;
  private readonly maxLineChars: number;
  /** Text after the last newline seen: the start of a line not yet complete. */
  private pending = '';
  /** The current line grew past the limit: drop its text until the next newline ('skip' mode). */
  private discarding = false;
  private atStart = true;
  private ended = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly options: RecordReaderOptions = {},
  ) {
    this.stopOnError = (options.onError ?? 'stop') === 'stop';
    this.maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
  }

  push(chunk: string | Uint8Array): void {
    if (this.ended) throw new Error('RecordReader: push() after end()');
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    this.feed(text);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.feed(this.decoder.decode());
    if (this.discarding) {
      this.discarding = false;
      this.lines++;
      this.bad(this.tooLong());
    } else if (this.pending.length > 0) {
      const line = this.pending;
      this.pending = '';
      this.lines++;
      this.line(line);
    }
  }

  private feed(text: string): void {
    if (text.length === 0) return;
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      if (nl < 0) break;
      this.lines++;
      if (this.discarding) {
        this.discarding = false;
        this.bad(this.tooLong());
      } else {
        const part = text.slice(from, nl);
        const line = this.pending.length > 0 ? this.pending + part : part;
        this.pending = '';
        if (line.length > this.maxLineChars) this.bad(this.tooLong());
        else this.line(line);
      }
      from = nl + 1;
    }
    if (this.discarding) return;
    const rest = text.slice(from);
    if (this.pending.length + rest.length > this.maxLineChars) {
      this.pending = '';
      if (this.stopOnError) {
        this.lines++;
        this.bad(this.tooLong());
      }
      this.discarding = true;
      return;
    }
    this.pending = this.pending.length > 0 ? this.pending + rest : rest;
  }

  private tooLong(): string {
    return `line longer than ${this.maxLineChars} characters (MAX_LINE_CHARS)`;
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (isBlank(line)) return;
    const result = parseRecord(line);
    if (typeof result === 'string') {
      this.bad(result);
      return;
    }
    this.records++;
    switch (result.type) {
      case 'message':
        this.sink.message(result);
        break;
      case 'call':
        this.sink.call(result);
        break;
      case 'frame':
        this.sink.frame?.(result);
        break;
    }
  }

  private bad(reason: string): void {
    const err = new InputError(`line ${this.lines}: ${reason}`);
    if (this.stopOnError) {
      this.ended = true;
      throw err;
    }
    this.badLines++;
    if (this.firstError === null) this.firstError = err;
    this.options.onBadLine?.(err);
  }
}

/** A line of white space only; as `trim() === ''` (the same white space), without copying a long line. */
function isBlank(line: string): boolean {
  return !/\S/.test(line);
}

/**
 * One NDJSON line to a record, or the reason it is not one (without the line number). Exported for
 * callers holding whole lines (tests, `jq -c` output already split).
 */
export function parseRecord(line: string): GrpcRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    // V8's message quotes the input; name only the position so a hostile or huge line stays out of it.
    const m = /position (\d+)/.exec((err as Error).message);
    return m ? `not valid JSON (at column ${Number(m[1]) + 1})` : 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected a JSON object (a grpctk record), got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`;
  }
  // Before anything quotes or keeps it: JSON.parse builds any depth, JSON.stringify (every writer) does not.
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return `record nested deeper than ${MAX_JSON_DEPTH} levels`;
  const rec = value as Record<string, unknown>;
  const type = rec.type;
  if (type === undefined) return 'no "type" field (expected a grpctk record: message, call or frame)';
  if (typeof type !== 'string' || !RECORD_TYPES.includes(type as RecordType)) {
    return `unknown record type ${clip(JSON.stringify(type))} (expected message, call or frame)`;
  }
  for (const spec of FIELDS_BY_TYPE[type as RecordType]) {
    const why = checkField(spec, rec[spec.name]);
    if (why !== null) return `${type} record: ${why}`;
  }
  // NDJSON written before call_id existed: it is tcp_stream/stream, nothing inferred.
  if (type !== 'frame' && rec.call_id === undefined) rec.call_id = `${rec.tcp_stream as number}/${rec.stream as number}`;
  return rec as unknown as GrpcRecord;
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/**
 * The edge: read a Node stream (a file or stdin) through a RecordReader. Resolves with the reader (for its
 * counters) once the stream has ended; rejects with the reader's InputError on a bad line in 'stop' mode.
 */
export async function readNdjsonStream(
  input: AsyncIterable<string | Uint8Array>,
  sink: RecordSink,
  options: RecordReaderOptions = {},
): Promise<RecordReader> {
  const reader = new RecordReader(sink, options);
  for await (const chunk of input) reader.push(chunk);
  reader.end();
  return reader;
}
