/**
 * The synchronous core of `grpctk decode`, driven in-process for fuzzing: CaptureReader → PacketDecoder →
 * Assembler → HTTP/2 → GrpcCallTracker, composed exactly as src/pipeline.ts composes them (including the
 * flush of every layer after an input fault), minus the async input edge. Each call checks what a user
 * would rely on:
 *  - only InputError (TruncatedInputError included) may come out; anything else is a bug and is rethrown
 *    as a FuzzFailure naming it;
 *  - every record serializes to one NDJSON line that the record reader accepts (src/records/reader.ts
 *    parseRecord: the field registry), so stats and export can read what decode writes.
 */
import * as path from 'node:path';
import { InputError } from '../../../src/errors';
import { CaptureReader } from '../../../src/pcap/reader';
import { createDecodeCore } from '../../../src/pipeline';
import type { RecordSink } from '../../../src/records/types';
import { loadSchemaSync, type SchemaDecoder } from '../../../src/protobuf/schema';
import { DEFAULT_LIMITS, type Limits } from '../../../src/limits';
import { recordLine } from '../../../src/output/ndjson';
import { parseRecord } from '../../../src/records/reader';
import type { CallRecord, FrameRecord, MessageRecord } from '../../../src/records/types';
import { Rng } from './rng';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SAMPLES = path.join(ROOT, 'samples');
export const PROTOS = path.join(SAMPLES, 'protos');

/** A property of grpctk that an input broke: what a user would have seen (a stack trace, bad output). */
export class FuzzFailure extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'FuzzFailure';
  }
}

let demo: SchemaDecoder | undefined;

/** The demo schema (samples/protos), loaded once per process. */
export function demoSchema(): SchemaDecoder {
  demo ??= loadSchemaSync({ protoPaths: [PROTOS] });
  return demo;
}

export interface CoreOptions {
  limits?: Partial<Limits>;
  /** Split the input into pieces of random sizes (seeded), to exercise blocks that straddle pushes. */
  chunkSeed?: number;
  /** Emit frame records too (decode --frames). */
  frames?: boolean;
  http2Ports?: number[];
}

export interface CoreResult {
  packets: number;
  messages: number;
  calls: number;
  frames: number;
  /** The InputError that ended the input, if any. */
  error: InputError | null;
  /** NDJSON lines written (the record check serializes every record anyway). */
  lines: string[];
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return `non-Error thrown: ${String(err)}`;
}

/**
 * Decode `bytes` as `grpctk decode -F ndjson` would. Returns what came out; throws FuzzFailure when grpctk
 * misbehaved. `keepLines` false keeps memory flat on large inputs (records are still checked).
 */
export function decodeCore(bytes: Uint8Array, options: CoreOptions = {}, keepLines = false): CoreResult {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const result: CoreResult = { packets: 0, messages: 0, calls: 0, frames: 0, error: null, lines: [] };
  const check = (r: MessageRecord | CallRecord | FrameRecord): void => {
    let line: string;
    try {
      line = recordLine(r);
    } catch (e) {
      throw new FuzzFailure(`a ${r.type} record cannot be written as NDJSON: ${describe(e)}`, e);
    }
    if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) {
      throw new FuzzFailure(`a ${r.type} record is not one line: ${JSON.stringify(line.slice(0, 200))}`);
    }
    const back = parseRecord(line.slice(0, -1));
    if (typeof back === 'string') {
      throw new FuzzFailure(`a ${r.type} record written by decode is refused by the record reader: ${back}; line: ${line.slice(0, 300)}`);
    }
    if (keepLines) result.lines.push(line);
  };
  const sink: RecordSink = {
    message: (r) => { result.messages++; check(r); },
    call: (r) => { result.calls++; check(r); },
    frame: (r) => { result.frames++; check(r); },
  };
  const decoder = demoSchema();
  let stage = 'setting up';
  try {
    // The very composition `grpctk decode` runs (src/pipeline.ts), packet counting as its tap.
    const core = createDecodeCore(decoder, sink, {
      limits,
      protoNames: false,
      frames: Boolean(options.frames),
      http2Ports: options.http2Ports ?? [],
    }, { packet: () => { result.packets++; } });
    const reader = new CaptureReader(core.capture);
    stage = 'reading';
    try {
      if (options.chunkSeed === undefined) {
        reader.push(bytes);
      } else {
        const rng = new Rng(options.chunkSeed);
        for (let at = 0; at < bytes.length;) {
          const n = Math.min(bytes.length - at, rng.pick([1, 3, 7, 16, 100, 1500, 4096, 65536, 1 << 20]));
          reader.push(bytes.subarray(at, at + n));
          at += n;
        }
      }
      reader.end();
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      result.error = err;
    }
    stage = 'flushing after the end of input';
    core.finish();
  } catch (err) {
    if (err instanceof FuzzFailure) throw err;
    throw new FuzzFailure(`${describe(err)} (while ${stage})`, err);
  }
  if (result.error) checkErrorMessage(result.error);
  return result;
}

/** What the CLI prints for an InputError must be one short line naming the problem. */
export function checkErrorMessage(err: InputError): void {
  const m = err.message;
  if (m.length === 0) throw new FuzzFailure('InputError with an empty message');
  if (/[\r\n]/.test(m)) throw new FuzzFailure(`InputError message is not one line: ${JSON.stringify(m.slice(0, 200))}`);
  if (m.length > 500) throw new FuzzFailure(`InputError message is ${m.length} characters long: ${JSON.stringify(m.slice(0, 200))}…`);
}
