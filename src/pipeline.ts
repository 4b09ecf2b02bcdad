/**
 * Composes the layers into one stream of records:
 *
 *   input edge → pcap reader → link/IP → TCP reassembly → HTTP/2 + HPACK → gRPC calls → protobuf → records
 *
 * or, for NDJSON input (what `grpctk decode --format ndjson` wrote), input edge → record reader → records.
 * Everything below this file is synchronous and push-style; this is where the async edge (file or stdin,
 * output backpressure) meets it. On bad input the layers are still flushed, so every call complete before the
 * fault is emitted, and then the error is thrown for the CLI to report.
 */
import * as fs from 'fs';
import { InputError, UsageError } from './errors';
import { openInput } from './input/open';
import { CaptureReader } from './pcap/reader';
import type { CaptureSink, Packet } from './pcap/types';
import { PacketDecoder } from './net/decode';
import { Assembler } from './tcp/assembler';
import { http2HandlerFactory } from './http2/connection';
import { connectionDetector } from './detect';
import { newTlsCounters } from './tls/detect';
import { KeyLog, readKeyLogFiles } from './tls/keylog';
import { tlsWarnings } from './tls/summary';
import { DSB_SECRETS_TYPE_TLS } from './pcap/constants';
import { newHttp1Counters } from './http1/connection';
import { RpcProtocolAdapter } from './grpc/web';
import { GrpcCallTracker } from './grpc/calls';
import type { RecordSink } from './records/types';
import { schemaDecoder } from './protobuf/decoder';
import { formatInteger } from './units';
import type * as Schema from './protobuf/schema';
import type { DecodedBody, MessageDecoder, SchemaSources } from './protobuf/types';
import { MAX_HARVESTED_BYTES, MAX_HARVESTED_FILES, ReflectionHarvest, ReflectionScan, REFLECTION_METHODS } from './grpc/reflection';
import { RecordReader } from './records/reader';
import type { TimeOrigin } from './records/time';
import { makeRedactor } from './records/redact';
import type { Limits } from './limits';
import type { Output } from './output/sink';
import { Progress } from './output/progress';
import { decodeSummary, printSummary, type SummaryContext } from './summary';

export interface PipelineOptions {
  schema: SchemaSources;
  http2Ports: number[];
  protoNames: boolean;
  /** Emit frame records (decode --frames). */
  frames: boolean;
  limits: Limits;
  /** No progress line and no summary warnings on stderr. */
  quiet: boolean;
  /**
   * The consumer reads call records only (stats, export --records calls): no message records are made, so
   * message bodies are never kept, decompressed or decoded; calls still count their messages and bytes.
   * Applies to captures; NDJSON input is read as it is.
   */
  callsOnly?: boolean;
  /** Header names whose values are masked in every record (--redact, --redact-default: ./records/redact.ts). */
  redact?: string[];
  /**
   * An input with no bytes (or only white space) is an error (decode: there is nothing to show), rather than
   * zero records with a warning (stats and export of an empty pipe: an honest zero).
   */
  requireInput?: boolean;
  /** Set to the capture's start (its first packet; from NDJSON, the first record's time): relative times. */
  origin?: TimeOrigin;
  /** NSS key log files (--tls-keylog) for TLS decryption; secrets in the capture's DSBs are used as well. */
  tlsKeylogs?: string[];
}

export interface PipelineSummary {
  kind: 'capture' | 'ndjson';
  bytesRead: number;
  packets: number;
  calls: number;
  messages: number;
  /** One line each: what was skipped or lost (unsupported link types, TCP gaps, HPACK errors …). */
  warnings: string[];
}

/** Something that wants to see every packet as it goes by, beside the decode (the packet count). */
export interface PacketTap {
  packet(packet: Packet, tcpStream: number | undefined): void;
}

/**
 * Read `input` (a path or '-'), a capture or NDJSON, and push every record into `sink`.
 * `output` (when given) is drained between input chunks so a slow consumer slows the reading down.
 */
export async function readRecords(
  input: string,
  sink: RecordSink,
  options: PipelineOptions,
  output?: Output,
): Promise<PipelineSummary> {
  const redact = makeRedactor(options.redact ?? []);
  if (redact !== null) {
    // Before every consumer, filters included: no output can show a masked value.
    const inner = sink;
    sink = { message: (m) => inner.message(m), call: (c) => inner.call(redact(c)), frame: inner.frame ? (f) => inner.frame!(f) : undefined };
  }
  // Buffers reused between reads of a capture file: every layer copies what it keeps beyond one packet.
  const opened = await openInput(input, { reuseBuffers: true });
  if (opened.kind === 'text') return readNdjson(opened, sink, options, output);
  return decodeCapture(opened, sink, options, output, input);
}

type Opened = Awaited<ReturnType<typeof openInput>>;

async function readNdjson(opened: Opened, sink: RecordSink, options: PipelineOptions, output?: Output): Promise<PipelineSummary> {
  const summary: PipelineSummary = { kind: 'ndjson', bytesRead: 0, packets: 0, calls: 0, messages: 0, warnings: [] };
  const origin = options.origin;
  const counting: RecordSink = {
    message: (r) => { summary.messages++; origin?.setIso(r.ts); sink.message(r); },
    call: (r) => { summary.calls++; origin?.setIso(r.start); sink.call(r); },
    frame: (r) => { origin?.setIso(r.ts); sink.frame?.(r); },
  };
  const reader = new RecordReader(counting);
  const progress = Progress.forStderr(options.quiet, opened.totalBytes);
  // Bytes that are neither a capture nor JSON text (an image, an executable, random data) are told apart at
  // the first byte that is not white space: NDJSON records start with '{'.
  let seenText = false;
  try {
    let bytesRead = 0;
    for await (const chunk of opened.chunks) {
      summary.bytesRead = opened.bytesRead;
      if (!seenText) {
        // A UTF-8 byte order mark (Windows editors write one) is not text: the record reader drops it too.
        const first = firstNonSpace(bytesRead === 0 ? skipBom(chunk) : chunk);
        if (first >= 0) {
          seenText = true;
          if (first !== 0x7b) throw new InputError('not a pcap or pcapng file, nor NDJSON records of grpctk decode');
        }
      }
      reader.push(chunk);
      bytesRead += chunk.length;
      progress.update(summary.bytesRead, 0, summary.calls);
      if (output) await output.drain();
    }
    reader.end();
  } finally {
    progress.done();
  }
  if (!seenText) {
    if (options.requireInput) throw new InputError('empty input: not a pcap or pcapng file');
    summary.warnings.push('empty input: no records');
  }
  return summary;
}

/** `chunk` without the UTF-8 byte order mark it starts with, if any. */
function skipBom(chunk: Uint8Array): Uint8Array {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? chunk.subarray(3) : chunk;
}

/** The first byte of `chunk` that is not JSON white space, or -1. */
function firstNonSpace(chunk: Uint8Array): number {
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return -1;
}

/**
 * The synchronous core of a capture decode: link/IP → TCP → HTTP/2 → gRPC → protobuf, fed packet by packet
 * (a CaptureSink for the pcap reader) and finished at the end of input. The async pipeline below and the
 * fuzzing harness both drive this one composition.
 */
export interface DecodeCore {
  capture: CaptureSink;
  /** End of input: give up waiting gaps, close connections, report calls still open. */
  finish(): void;
  /** One line each: what was skipped or lost, and what to do (../summary.ts). */
  warnings(context?: Partial<SummaryContext>): string[];
}

export function createDecodeCore(
  decoder: MessageDecoder,
  sink: RecordSink,
  options: Pick<PipelineOptions, 'limits' | 'protoNames' | 'frames' | 'http2Ports' | 'callsOnly'>,
  tap?: PacketTap,
  keys: KeyLog = new KeyLog(),
): DecodeCore {
  const limits = options.limits;
  const tracker = new GrpcCallTracker(sink, decoder, {
    maxMessageBytes: limits.maxMessageBytes,
    maxDecompressedBytes: limits.maxDecompressedBytes,
    maxDepth: limits.maxDepth,
    protoNames: options.protoNames,
    frames: options.frames,
    messages: options.callsOnly !== true,
  });
  // gRPC-Web and Connect streams are turned into gRPC call events on their way to the tracker.
  const rpc = new RpcProtocolAdapter(tracker, limits.maxMessageBytes);
  const http2 = http2HandlerFactory(rpc, {
    http2Ports: options.http2Ports,
    maxStreamsPerConnection: limits.maxStreamsPerConnection,
  });
  const tls = newTlsCounters();
  const http1 = newHttp1Counters();
  const detector = connectionDetector({ http2, tls, keys, http1: { sink: rpc, counters: http1 } });
  const assembler = new Assembler(detector, {
    maxConnections: limits.maxConnections,
    maxBufferedBytesPerDirection: limits.maxBufferedBytesPerDirection,
    maxBufferedBytesTotal: limits.maxBufferedBytesTotal,
  });
  const net = new PacketDecoder();
  return {
    capture: {
      packet(packet: Packet): void {
        const segment = net.decode(packet);
        const conn = segment ? assembler.segment(segment) : undefined;
        if (tap) tap.packet(packet, conn?.index);
      },
      // TLS key log secrets carried in the capture (pcapng DSB, `editcap --inject-secrets`).
      secrets(secrets): void {
        if (secrets.secretsType === DSB_SECRETS_TYPE_TLS) keys.addText(Buffer.from(secrets.data).toString('utf8'), 'in the capture (DSB)');
      },
    },
    finish(): void {
      assembler.flush();
      tracker.finish();
    },
    warnings: (context = {}) => [
      ...tlsWarnings(tls, keys),
      ...decodeSummary(
        { net: net.counters, tcp: assembler.counters, detect: detector.counters, http2: http2.counters, grpc: tracker.counters },
        { calls: 0, packets: 0, schemaLoaded: false, http2Ports: options.http2Ports, ...context },
      ),
    ],
  };
}

async function decodeCapture(opened: Opened, sink: RecordSink, options: PipelineOptions, output?: Output, input = '-'): Promise<PipelineSummary> {
  const summary: PipelineSummary = { kind: 'capture', bytesRead: 0, packets: 0, calls: 0, messages: 0, warnings: [] };
  const callsOnly = options.callsOnly === true;
  const schema = await schemaDecoder(options.schema);
  // Call records need no types: only a decode of messages looks for schemas in reflection calls.
  const harvest = callsOnly ? null : new ReflectionHarvest(schema, schemaFromFiles);
  if (harvest !== null && input !== '-' && isRegularFile(input)) await harvestFirst(input, schema, harvest, options);
  const decoder: MessageDecoder = harvest ?? schema;
  const counting: RecordSink = {
    message: (r) => { summary.messages++; sink.message(r); },
    call: callsOnly
      ? (r) => { summary.calls++; summary.messages += r.request_messages + r.response_messages; sink.call(r); }
      : (r) => { summary.calls++; sink.call(r); },
    frame: options.frames ? (r) => sink.frame?.(r) : undefined,
  };
  const origin = options.origin;
  const keys = await readKeyLogFiles(options.tlsKeylogs ?? []);
  const core = createDecodeCore(
    decoder,
    counting,
    options,
    {
      packet: (p) => {
        if (summary.packets++ === 0) origin?.set(p.tsSec, p.tsNsec);
      },
    },
    keys,
  );
  const reader = new CaptureReader(core.capture);
  const progress = Progress.forStderr(options.quiet, opened.totalBytes);
  let failure: unknown;
  try {
    let bytesRead = 0;
    for await (const chunk of opened.chunks) {
      summary.bytesRead = opened.bytesRead;
      // As a plain Uint8Array: the views cut from it for every packet, segment and frame are then cheaper
      // to make (Buffer's subarray goes through its own constructor), and `slice` is the copy the layers
      // mean by it (on a Buffer it is a view that would pin the whole chunk in memory).
      reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      progress.update(summary.bytesRead, summary.packets, summary.calls);
      if (output) await output.drain();
    }
    reader.end();
  } catch (err) {
    // An input fault: keep what was good. An output fault (closed pipe, full disk): stop at once.
    if (!(err instanceof InputError)) {
      progress.done();
      throw err;
    }
    failure = err;
  }
  progress.done();
  core.finish();
  const s = options.schema;
  summary.warnings.push(
    ...reader.notes,
    ...core.warnings({
      calls: summary.calls,
      packets: summary.packets,
      schemaLoaded: (s.protoPaths?.length ?? 0) + (s.protoFiles?.length ?? 0) + (s.descriptorSets?.length ?? 0) > 0,
    }),
  );
  if (harvest !== null && harvest.fileCount > 0 && harvest.failure !== null) {
    summary.warnings.push(`schema: the ${formatInteger(harvest.fileCount)} files from reflection calls in the capture could not be used: ${harvest.failure}`);
  }
  if (harvest !== null && harvest.dropped > 0) {
    summary.warnings.push(`schema: ${formatInteger(harvest.dropped)} files from reflection calls not kept (limit ${MAX_HARVESTED_FILES} files, ${MAX_HARVESTED_BYTES} bytes)`);
  }
  if (failure) {
    printSummary(summary.warnings, options.quiet);
    summary.warnings = [];
    throw failure;
  }
  return summary;
}

/** FileDescriptorProtos from reflection responses → a decoder (the harvested files only, no user files). */
function schemaFromFiles(files: Uint8Array[]): MessageDecoder {
  // Loaded here: protobufjs only when a capture carries descriptors (see protobuf/decoder.ts).
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { descriptorSetOf, loadSchemaSync } = require('./protobuf/schema') as typeof Schema;
  return loadSchemaSync({ descriptorBytes: [descriptorSetOf(files)] }, { warn: () => {} });
}

function isRegularFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The first pass of a capture file that holds a server reflection call: a byte search for the call's path
 * (cheap: one read of the file), then, only where it is found, a decode that looks at nothing but reflection
 * responses, so the files they carry type every call of the capture, those before them too.
 */
async function harvestFirst(input: string, schema: MessageDecoder, harvest: ReflectionHarvest, options: PipelineOptions): Promise<void> {
  const scan = new ReflectionScan();
  const first = await openInput(input);
  try {
    for await (const chunk of first.chunks) {
      scan.push(chunk);
      if (scan.found) break;
    }
  } catch (err) {
    // A fault in the input (a cut gzip stream): the main pass meets it too, and keeps what came before it.
    if (!(err instanceof InputError)) throw err;
  } finally {
    first.close();
  }
  if (!scan.found) return;
  const none: DecodedBody = { messageType: null, body: null, error: null };
  const onlyReflection: MessageDecoder = {
    methodTypes: (p) => (REFLECTION_METHODS.includes(p) ? schema.methodTypes(p) : undefined),
    decode: (t, b, o) => (t !== undefined && t.startsWith('grpc.reflection.') ? harvest.decode(t, b, o) : none),
  };
  const drop: RecordSink = { message: () => {}, call: () => {} };
  const core = createDecodeCore(onlyReflection, drop, { ...options, frames: false, callsOnly: false });
  const reader = new CaptureReader(core.capture);
  const again = await openInput(input, { reuseBuffers: true });
  try {
    for await (const chunk of again.chunks) reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    reader.end();
  } catch (err) {
    // The main pass meets the same fault and reports it; what was harvested before it is kept.
    if (!(err instanceof InputError)) throw err;
  }
  core.finish();
}

/** Print the summary (unless --quiet), with any notes such as a filter's "matched nothing" line. */
export function reportWarnings(summary: PipelineSummary, quiet: boolean, ...notes: Array<string | null>): void {
  printSummary(summary.warnings, quiet, notes);
}

/** The user named an input that does not exist: a usage error (exit 2), before anything is read. */
export function checkInput(input: string): void {
  if (input === '-') return;
  try {
    fs.statSync(input);
  } catch {
    throw new UsageError(`cannot open ${input}: no such file`);
  }
}

