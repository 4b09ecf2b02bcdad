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
import { newTlsCounters, type TlsCounters } from './tls/detect';
import { GrpcCallTracker } from './grpc/calls';
import type { RecordSink } from './grpc/types';
import { loadSchema } from './protobuf/schema';
import type { MessageDecoder, SchemaSources } from './protobuf/types';
import { RecordReader } from './records/reader';
import type { Limits } from './limits';
import type { Output } from './output/sink';
import { Progress } from './output/progress';

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
  /**
   * An input with no bytes (or only white space) is an error (decode: there is nothing to show), rather than
   * zero records with a warning (stats and export of an empty pipe: an honest zero).
   */
  requireInput?: boolean;
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
  // Buffers reused between reads of a capture file: every layer copies what it keeps beyond one packet.
  const opened = await openInput(input, { reuseBuffers: true });
  if (opened.kind === 'text') return readNdjson(opened, sink, options, output);
  return decodeCapture(opened, sink, options, output);
}

type Opened = Awaited<ReturnType<typeof openInput>>;

async function readNdjson(opened: Opened, sink: RecordSink, options: PipelineOptions, output?: Output): Promise<PipelineSummary> {
  const summary: PipelineSummary = { kind: 'ndjson', bytesRead: 0, packets: 0, calls: 0, messages: 0, warnings: [] };
  const counting: RecordSink = {
    message: (r) => { summary.messages++; sink.message(r); },
    call: (r) => { summary.calls++; sink.call(r); },
    frame: (r) => sink.frame?.(r),
  };
  const reader = new RecordReader(counting);
  const progress = Progress.forStderr(options.quiet, opened.totalBytes);
  // Bytes that are neither a capture nor JSON text (an image, an executable, random data) are told apart at
  // the first byte that is not white space: NDJSON records start with '{'.
  let seenText = false;
  try {
    for await (const chunk of opened.chunks) {
      summary.bytesRead = opened.bytesRead;
      if (!seenText) {
        const first = firstNonSpace(chunk);
        if (first >= 0) {
          seenText = true;
          if (first !== 0x7b) throw new InputError('not a pcap or pcapng file, nor NDJSON records of grpctk decode');
        }
      }
      reader.push(chunk);
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
  /** One line each: what was skipped or lost. */
  warnings(): string[];
}

export function createDecodeCore(decoder: MessageDecoder, sink: RecordSink, options: Pick<PipelineOptions, 'limits' | 'protoNames' | 'frames' | 'http2Ports' | 'callsOnly'>, tap?: PacketTap): DecodeCore {
  const limits = options.limits;
  const tracker = new GrpcCallTracker(sink, decoder, {
    maxMessageBytes: limits.maxMessageBytes,
    maxDecompressedBytes: limits.maxDecompressedBytes,
    maxDepth: limits.maxDepth,
    protoNames: options.protoNames,
    frames: options.frames,
    messages: options.callsOnly !== true,
  });
  const http2 = http2HandlerFactory(tracker, {
    http2Ports: options.http2Ports,
    maxStreamsPerConnection: limits.maxStreamsPerConnection,
  });
  const tls = newTlsCounters();
  const assembler = new Assembler(connectionDetector({ http2, tls }), {
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
    },
    finish(): void {
      assembler.flush();
      tracker.finish();
    },
    warnings: () => [...warningsFrom(net.counters, assembler.counters, http2.counters, tls), ...joinedWarnings(http2.counters, tracker.counters)],
  };
}

async function decodeCapture(opened: Opened, sink: RecordSink, options: PipelineOptions, output?: Output): Promise<PipelineSummary> {
  const summary: PipelineSummary = { kind: 'capture', bytesRead: 0, packets: 0, calls: 0, messages: 0, warnings: [] };
  const decoder = await loadSchema(options.schema);
  const callsOnly = options.callsOnly === true;
  const counting: RecordSink = {
    message: (r) => { summary.messages++; sink.message(r); },
    call: callsOnly
      ? (r) => { summary.calls++; summary.messages += r.request_messages + r.response_messages; sink.call(r); }
      : (r) => { summary.calls++; sink.call(r); },
    frame: options.frames ? (r) => sink.frame?.(r) : undefined,
  };
  const core = createDecodeCore(decoder, counting, options, { packet: () => { summary.packets++; } });
  const reader = new CaptureReader(core.capture);
  const progress = Progress.forStderr(options.quiet, opened.totalBytes);
  let failure: unknown;
  try {
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
  summary.warnings.push(...core.warnings());
  if (failure) {
    if (!options.quiet) for (const w of summary.warnings) process.stderr.write(`grpctk: warning: ${w}\n`);
    summary.warnings = [];
    throw failure;
  }
  return summary;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function warningsFrom(net: PacketDecoder['counters'], tcp: Assembler['counters'], http2?: { hpackErrors?: number; bytesSkipped?: number; droppedStreams?: number }, tls?: TlsCounters): string[] {
  const out: string[] = [];
  if (tls?.notDecrypted) out.push(`TLS: ${plural(tls.notDecrypted, 'connection')} not decrypted (grpctk does not decrypt TLS yet)`);
  if (net.unsupportedLinkType) out.push(`${plural(net.unsupportedLinkType, 'packet')} of unsupported link types skipped`);
  if (net.malformed) out.push(`${plural(net.malformed, 'malformed packet')} skipped`);
  if (net.droppedFragments) out.push(`${plural(net.droppedFragments, 'IP fragment')} could not be reassembled`);
  if (tcp.gaps) out.push(`TCP: ${plural(tcp.gaps, 'gap')} in reassembly, ${plural(tcp.bytesLost, 'byte')} lost (segments not captured)`);
  if (tcp.evictedConnections) out.push(`TCP: ${plural(tcp.evictedConnections, 'connection')} closed early by --max-connections`);
  if (http2?.hpackErrors) out.push(`HTTP/2: ${plural(http2.hpackErrors, 'header block')} not fully decoded (state from before the capture, lost bytes or limits: see the calls' errors)`);
  if (http2?.droppedStreams) out.push(`HTTP/2: ${plural(http2.droppedStreams, 'stream')} dropped by --max-streams`);
  return out;
}

/** What joining connections midway cost: calls begun before the capture, methods not seen. */
function joinedWarnings(http2: { joinedConnections: number }, calls: GrpcCallTracker['counters']): string[] {
  if (http2.joinedConnections === 0 && calls.joinedCalls === 0 && calls.unknownMethodCalls === 0) return [];
  const parts = [`${plural(http2.joinedConnections, 'connection')} joined midway (start not captured)`];
  if (calls.joinedCalls) parts.push(`${plural(calls.joinedCalls, 'call')} begun before the capture`);
  if (calls.unknownMethodCalls) {
    parts.push(`${plural(calls.unknownMethodCalls, 'call')} whose :path is a header table entry from before it (${calls.inferredCalls.toLocaleString('en-US')} named by inference, marked "inferred"; the others grouped as "unknown method #N")`);
  }
  return [`HTTP/2: ${parts.join('; ')}`];
}

/** Print the summary warnings (unless --quiet). */
export function reportWarnings(summary: PipelineSummary, quiet: boolean): void {
  if (quiet) return;
  for (const w of summary.warnings) process.stderr.write(`grpctk: warning: ${w}\n`);
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

