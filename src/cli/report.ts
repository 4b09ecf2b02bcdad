/**
 * grpctk report: one self-contained HTML file that shows a capture's (or decode NDJSON's) gRPC traffic at a
 * glance: latency over time, error rate and calls/s, the per-method table of stats, the slowest and failed
 * calls in full, and each connection's streams. Read the input, fold it in the report tap, write the page.
 */
import * as v8 from 'node:v8';
import { Command } from 'commander';
import { InputError, UsageError } from '../errors';
import { addFilterOptions, filterFromOptions, type FilterOptions } from '../filter';
import { openOutput } from '../output/sink';
import { checkInput, readRecords, reportWarnings, type PipelineSummary } from '../pipeline';
import { ReportTap } from '../report/collect';
import { buildReportData } from '../report/data';
import { renderReportHtml } from '../report/html';
import { version } from '../version';
import { inputArgument } from './input';
import { addDecodeOptions, type DecodeFlags, pipelineOptionsFrom } from './options';

interface Flags extends DecodeFlags, FilterOptions {
  readFile?: string;
  output?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('report')
    .description('write one self-contained HTML page that shows the calls of a capture at a glance')
    .argument('[input]', 'capture file (pcap, pcapng, optionally gzip-compressed) or decode NDJSON, or - for stdin')
    .option('-r, --read-file <file>', 'the input to read (same as INPUT, as in tshark)')
    .option('-o, --output <file>', 'the HTML file to write (- for stdout)');
  addDecodeOptions(cmd);
  addFilterOptions(cmd);
  cmd.action(async (input: string | undefined, flags: Flags) => {
    await runReport(inputArgument(input, flags.readFile), flags);
  });
}

/** The flags a `grpctk decode` of the same input needs to decode a call the same way. */
function decodeArgs(flags: Flags): string[] {
  const out: string[] = [];
  for (const p of flags.protoPath ?? []) out.push('-I', p);
  for (const p of flags.proto ?? []) out.push('--proto', p);
  for (const p of flags.descriptorSet ?? []) out.push('--descriptor-set', p);
  for (const p of flags.http2Port ?? []) out.push('--http2-port', p);
  if (flags.protoNames) out.push('--proto-names');
  return out;
}

/** The filter flags as typed, for the page's header. */
function filterArgs(flags: Flags): string[] {
  const out: string[] = [];
  const add = (flag: string, v: unknown) => {
    if (v === undefined) return;
    for (const x of Array.isArray(v) ? v : [v]) out.push(flag, String(x));
  };
  add('--method', flags.method);
  add('--host', flags.host);
  add('--port', flags.port);
  add('--status', flags.status);
  add('--min-size', flags.minSize);
  add('--max-size', flags.maxSize);
  add('--since', flags.since);
  add('--until', flags.until);
  return out;
}

async function runReport(input: string, flags: Flags): Promise<void> {
  if (flags.output === undefined) throw new UsageError('report: give the HTML file to write with -o FILE (or -o - for stdout)');
  checkInput(input);
  // The report holds each call's messages until the call ends, so they outlive several scavenges and are
  // promoted; without incremental marking (main turns it off for the other commands) that garbage piles up
  // in the old generation: 1.6 GB peak RSS on 600,000 calls, against 190 MB with it (and 30% faster).
  v8.setFlagsFromString('--incremental-marking');
  const options = pipelineOptionsFrom(flags);
  // Frames for the call timelines and the GOAWAY marks; messages for the listed calls' bodies.
  options.frames = true;
  const tap = new ReportTap(filterFromOptions(flags));
  const out = openOutput(flags.output === '-' ? undefined : flags.output);
  // An input fault (a capture cut short) still gives the report of everything before it, then exits 1.
  let fault: InputError | undefined;
  let summary: PipelineSummary | undefined;
  try {
    try {
      summary = await readRecords(input, tap, options);
      reportWarnings(summary, options.quiet);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      fault = err;
    }
    const data = buildReportData(tap.result(), {
      input,
      kind: summary?.kind ?? 'capture',
      bytes: summary ? summary.bytesRead : null,
      packets: summary ? summary.packets : null,
      messages: summary?.messages ?? 0,
      warnings: summary?.warnings ?? [],
      filterArgs: filterArgs(flags),
      decodeArgs: decodeArgs(flags),
      version,
      fault: fault?.message,
    });
    out.write(renderReportHtml(data));
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
  if (fault) throw fault;
}
