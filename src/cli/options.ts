/**
 * Flags shared by every subcommand that decodes captures (decode, stats, export, split --by method): schema
 * sources, HTTP/2 ports, limits, progress. Declared once so the spellings and defaults never drift.
 */
import { Command } from 'commander';
import type { PipelineOptions } from '../pipeline';
import { DEFAULT_LIMITS } from '../limits';
import { collect, parseCount, parseSize } from '../units';
import { UsageError } from '../errors';
import { DEFAULT_REDACTED_HEADERS } from '../records/redact';

export interface DecodeFlags {
  protoPath?: string[];
  proto?: string[];
  descriptorSet?: string[];
  reflect?: string;
  reflectTls?: boolean;
  http2Port?: string[];
  protoNames?: boolean;
  maxMessageSize?: string;
  maxDecompressedSize?: string;
  maxDepth?: string;
  maxStreams?: string;
  maxConnections?: string;
  maxBuffered?: string;
  quiet?: boolean;
  progress?: boolean;
  redact?: string[];
  redactDefault?: boolean;
  tlsKeylog?: string[];
}

export function addDecodeOptions(cmd: Command): Command {
  return cmd
    .option('-I, --proto-path <dir>', 'load every .proto under DIR; imports resolve against every -I (repeatable)', collect)
    .option('--proto <file>', 'load one .proto file (repeatable)', collect)
    .option('--descriptor-set <file>', 'load a FileDescriptorSet (protoc -o, buf build) (repeatable)', collect)
    .option('--reflect <host:port>', "ask this server's gRPC reflection service for the schema before decoding (plaintext; see --reflect-tls)")
    .option('--reflect-tls', 'use TLS (system CAs) for --reflect')
    .option('--proto-names', 'keep .proto field names in message bodies instead of lowerCamelCase')
    .option('--tls-keylog <file>', 'decrypt TLS with the secrets of an NSS key log file (SSLKEYLOGFILE) (repeatable); secrets in the capture (pcapng DSB) are used without it', collect)
    .option('--http2-port <port>', 'treat TCP connections to PORT as HTTP/2 even without a captured preface (repeatable)', collect)
    .option('--max-message-size <size>', `largest gRPC message decoded; larger ones are skipped and reported (default: ${sizeText(DEFAULT_LIMITS.maxMessageBytes)})`)
    .option('--max-decompressed-size <size>', `largest size a compressed message may inflate to (default: ${sizeText(DEFAULT_LIMITS.maxDecompressedBytes)})`)
    .option('--max-depth <n>', `protobuf nesting depth decoded; deeper fields are shown as bytes (default: ${String(DEFAULT_LIMITS.maxDepth)})`)
    .option('--max-streams <n>', `HTTP/2 streams tracked per connection; the oldest open one is dropped past it (default: ${String(DEFAULT_LIMITS.maxStreamsPerConnection)})`)
    .option('--max-connections <n>', `TCP connections tracked at once; the least recently active is closed past it (default: ${String(DEFAULT_LIMITS.maxConnections)})`)
    .option('--max-buffered <size>', `out-of-order TCP bytes held per direction while waiting for a missing segment (default: ${sizeText(DEFAULT_LIMITS.maxBufferedBytesPerDirection)})`)
    .option('--redact <name>', 'mask the values of header NAME in every output (repeatable, comma-separated)', collect)
    .option('--redact-default', `mask the usual credential headers: ${DEFAULT_REDACTED_HEADERS.join(', ')}`)
    .option('-q, --quiet', 'no progress and no summary warnings on stderr');
}

export function sizeText(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)}MiB`;
  if (n % 1024 === 0) return `${n / 1024}KiB`;
  return String(n);
}

export function pipelineOptionsFrom(flags: DecodeFlags): PipelineOptions {
  const limits = { ...DEFAULT_LIMITS };
  if (flags.maxMessageSize !== undefined) limits.maxMessageBytes = parseSize(flags.maxMessageSize, '--max-message-size');
  if (flags.maxDecompressedSize !== undefined) limits.maxDecompressedBytes = parseSize(flags.maxDecompressedSize, '--max-decompressed-size');
  // At most 1,000: a body deeper than a few thousand levels overflows JSON.stringify's recursion.
  if (flags.maxDepth !== undefined) limits.maxDepth = parseCount(flags.maxDepth, '--max-depth', 1, 1_000);
  if (flags.maxStreams !== undefined) limits.maxStreamsPerConnection = parseCount(flags.maxStreams, '--max-streams', 1);
  if (flags.maxConnections !== undefined) limits.maxConnections = parseCount(flags.maxConnections, '--max-connections', 1);
  if (flags.maxBuffered !== undefined) limits.maxBufferedBytesPerDirection = parseSize(flags.maxBuffered, '--max-buffered');
  return {
    schema: {
      protoPaths: flags.protoPath ?? [],
      protoFiles: flags.proto ?? [],
      descriptorSets: flags.descriptorSet ?? [],
      ...(flags.reflect !== undefined ? { reflect: { target: flags.reflect, tls: Boolean(flags.reflectTls) } } : {}),
    },
    http2Ports: (flags.http2Port ?? []).map((p) => parseCount(p, '--http2-port', 1, 65535)),
    protoNames: Boolean(flags.protoNames),
    frames: false,
    limits,
    quiet: Boolean(flags.quiet),
    redact: redactedHeaders(flags),
    tlsKeylogs: flags.tlsKeylog ?? [],
  };
}

/** The header names of --redact and --redact-default. */
export function redactedHeaders(flags: DecodeFlags): string[] {
  const names = (flags.redact ?? []).flatMap((n) => n.split(',')).map((n) => n.trim().toLowerCase());
  for (const n of names) if (n.length === 0) throw new UsageError('--redact: empty header name');
  return [...new Set([...(flags.redactDefault ? DEFAULT_REDACTED_HEADERS : []), ...names])];
}
