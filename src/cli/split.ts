/**
 * grpctk split: cut a capture into pcapng parts (by connection, server, client, method, count, size or
 * time) and print an index of the parts, one NDJSON object per part, on stdout:
 *
 *   {"path":"parts/0000-10.0.0.1_40000-10.0.0.2_50051.pcapng","key":"10.0.0.1:40000-10.0.0.2:50051",
 *    "packets":42,"bytes":6180,"first":"2026-11-21T03:39:12.123456789Z","last":"…"}
 */
import { Command, Option } from 'commander';
import { UsageError } from '../errors';
import { addFilterOptions, filterFromOptions, type FilterOptions } from '../filter';
import { parseMethodGlobs, parseTime } from '../filter/parse';
import { checkInput } from '../pipeline';
import { printSummary, unrecognisedLines } from '../summary';
import { openOutput } from '../output/sink';
import { DEFAULT_NAME_TEMPLATE } from '../split/names';
import { DEFAULT_MAX_OPEN_FILES } from '../split/parts';
import { OTHER_KEY, SPLIT_MODES, split, type SplitBy, type SplitFilter } from '../split/split';
import { inputArgument } from './input';
import { addDecodeOptions, pipelineOptionsFrom, type DecodeFlags } from './options';
import { parseCount, parseDuration, parseSize } from '../units';
import { escapeCell, escapeJson } from '../output/escape';

interface Flags extends DecodeFlags, FilterOptions {
  by: SplitBy;
  outDir: string;
  readFile?: string;
  count?: string;
  size?: string;
  interval?: string;
  name: string;
  tcpOnly?: boolean;
  force?: boolean;
  maxOpenFiles?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('split')
    .description('cut a capture into pcapng parts by connection, server, client, gRPC method, count, size or time; print an NDJSON index of the parts')
    .argument('[input]', 'capture file (pcap, pcapng, optionally gzip-compressed), or - for stdin')
    .addOption(new Option('--by <what>', 'what makes a part').choices(SPLIT_MODES as string[]).makeOptionMandatory())
    .requiredOption('-o, --out-dir <dir>', 'directory for the parts (created if missing; must be empty unless --force)')
    .option('-r, --read-file <file>', 'the capture to read (same as INPUT, as in tshark)')
    .option('-c, --count <n>', '--by count: packets per part (as editcap -c)')
    .option('--size <size>', '--by size: largest part file, e.g. 100MB, 64MiB (a part holds at least one packet)')
    .option('-i, --interval <duration>', '--by time: time each part covers from the first packet, e.g. 60s, 5m (as editcap -i)')
    .option('--name <template>', 'part file names: {index} {key}, and by mode {client} {server} {stream} {method}', DEFAULT_NAME_TEMPLATE)
    .option('--tcp-only', 'leave out packets that are not TCP (otherwise they go to a part of their own, or stay in sequence for count/size/time)')
    .option('--force', 'write into a directory that is not empty, replacing parts of the same name')
    .option('--max-open-files <n>', `part files open at once; others are closed and reopened for append (default: ${DEFAULT_MAX_OPEN_FILES})`);
  addDecodeOptions(cmd);
  addFilterOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nsplit refuses --redact and --redact-default: parts are the captured packets byte for byte, and a header value\n' +
      'inside an HPACK-compressed header block cannot be masked without breaking every later block of the\n' +
      'connection. Share `grpctk decode --redact NAME` or `grpctk export --redact NAME` output instead.\n' +
      '-Y, --status, --min-size, --max-size, --min-duration, --max-duration and --call filter calls: use them with\n' +
      'decode or export.',
  );
  cmd.action(async (input: string | undefined, flags: Flags) => {
    await runSplit(inputArgument(input, flags.readFile), flags);
  });
}

async function runSplit(input: string, flags: Flags): Promise<void> {
  const by = flags.by;
  const need = (flag: string, value: string | undefined, mode: SplitBy): void => {
    if (value !== undefined && by !== mode) throw new UsageError(`${flag} goes with --by ${mode}, not --by ${by}`);
    if (value === undefined && by === mode) throw new UsageError(`--by ${mode} needs ${flag}`);
  };
  need('--count', flags.count, 'count');
  need('--size', flags.size, 'size');
  need('--interval', flags.interval, 'time');
  for (const [flag, v] of [
    ['--status', flags.status],
    ['--min-size', flags.minSize],
    ['--max-size', flags.maxSize],
    ['--min-duration', flags.minDuration],
    ['--max-duration', flags.maxDuration],
    ['--call', flags.call],
    ['-Y', flags.displayFilter],
  ] as const) {
    if (v !== undefined) throw new UsageError(`split works on packets: ${flag} filters calls and messages (use it with decode or export)`);
  }
  if (flags.redact !== undefined || flags.redactDefault) {
    // HPACK: a header block refers to table entries that earlier blocks inserted, and Huffman codes change
    // length with the text: masking a value in the packets would break the decoding of every later block.
    throw new UsageError(
      'split writes the captured packets byte for byte: header values inside HPACK-compressed header blocks cannot be masked without breaking every later header block of the connection, so --redact is refused; share `grpctk decode --redact …` or `grpctk export --redact …` output instead',
    );
  }
  if (flags.method !== undefined && (by === 'count' || by === 'size' || by === 'time')) {
    throw new UsageError(`--method goes with --by method, connection, server or client, not --by ${by}`);
  }
  const count = flags.count !== undefined ? parseCount(flags.count, '--count', 1) : undefined;
  const size = flags.size !== undefined ? parseSize(flags.size, '--size') : undefined;
  if (size !== undefined && size < 1) throw new UsageError('--size must be at least 1 byte');
  const intervalNs = flags.interval !== undefined ? BigInt(Math.round(parseDuration(flags.interval, '--interval') * 1e9)) : undefined;
  if (intervalNs !== undefined && intervalNs < 1n) throw new UsageError('--interval must be at least 1ns');
  const maxOpenFiles = flags.maxOpenFiles !== undefined ? parseCount(flags.maxOpenFiles, '--max-open-files', 1, 100_000) : undefined;
  const pipeline = pipelineOptionsFrom(flags);
  const records = filterFromOptions(flags);
  const filter: SplitFilter = {
    matchConnection: records.matchConnection,
    connectionFilter: (flags.host?.length ?? 0) > 0 || (flags.port?.length ?? 0) > 0,
    methods: flags.method && flags.method.length > 0 ? parseMethodGlobs(flags.method) : null,
    since: flags.since !== undefined ? parseTime(flags.since, '--since') : null,
    until: flags.until !== undefined ? parseTime(flags.until, '--until') : null,
  };
  checkInput(input);

  const out = openOutput(undefined);
  const progress = new SplitProgress(!pipeline.quiet && Boolean(process.stderr.isTTY), by);
  try {
    const summary = await split({
      by,
      input,
      outDir: flags.outDir,
      count,
      size,
      intervalNs,
      name: flags.name,
      tcpOnly: Boolean(flags.tcpOnly),
      force: Boolean(flags.force),
      maxOpenFiles,
      filter,
      http2: { http2Ports: pipeline.http2Ports, maxStreamsPerConnection: pipeline.limits.maxStreamsPerConnection },
      assembler: {
        maxConnections: pipeline.limits.maxConnections,
        maxBufferedBytesPerDirection: pipeline.limits.maxBufferedBytesPerDirection,
        maxBufferedBytesTotal: pipeline.limits.maxBufferedBytesTotal,
      },
      tlsKeylogs: pipeline.tlsKeylogs,
      onPart: (record) => out.write(escapeJson(JSON.stringify(record)) + '\n'),
      onProgress: (bytesRead, total, pass) => progress.update(bytesRead, total, pass),
    });
    progress.done();
    const warnings = [...summary.warnings];
    if (by === 'method' && summary.unrecognised) {
      warnings.push(...unrecognisedLines(summary.unrecognised, summary.http2ServerPorts ?? new Map(), pipeline.http2Ports, `; those packets went to the '${OTHER_KEY}' part`));
    }
    printSummary(warnings, pipeline.quiet);
  } finally {
    progress.done();
    await out.close();
  }
}

/** One line on stderr (a terminal only), redrawn at most four times a second: which pass, how far. */
class SplitProgress {
  private last = 0;
  private drawn = false;
  private readonly passes: number;

  constructor(private readonly enabled: boolean, by: SplitBy) {
    this.passes = by === 'count' || by === 'size' || by === 'time' ? 1 : 2;
  }

  update(bytesRead: number, total: number | undefined, pass: 1 | 2): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 250) return;
    this.last = now;
    let text = `split: ${this.passes === 2 ? `pass ${pass} of 2: ` : ''}${(bytesRead / 1e6).toFixed(1)} MB`;
    if (total) text += ` of ${(total / 1e6).toFixed(1)} MB (${Math.min(100, (bytesRead / total) * 100).toFixed(0)}%)`;
    process.stderr.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
