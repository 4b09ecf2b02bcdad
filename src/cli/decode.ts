/**
 * grpctk decode: every gRPC call in a capture, with metadata, messages and status; as text (one line per
 * call, or every call in full with -V), NDJSON (the record schema) or one JSON array.
 */
import { Command, Option } from 'commander';
import { addDecodeOptions, DecodeFlags, pipelineOptionsFrom } from './options';
import { addFilterOptions, filterFromOptions } from '../filter';
import { checkInput, readRecords, reportWarnings } from '../pipeline';
import { openOutput } from '../output/sink';
import { NdjsonWriter } from '../output/ndjson';
import { JsonArrayWriter } from '../output/json';
import { MAX_VALUE_CHARS, TextWriter, useColor } from '../output/text';
import { TimeOrigin } from '../records/time';
import { CallGrouper, CallGroupSink } from '../output/group';
import type { RecordSink } from '../records/types';
import type { FrameRecord } from '../records/types';
import { inputArgument } from './input';

interface Flags extends DecodeFlags {
  readFile?: string;
  format: 'text' | 'ndjson' | 'json';
  output?: string;
  frames?: boolean;
  color?: boolean;
  verbose?: boolean;
  full?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('decode')
    .description('show every gRPC call in a capture: metadata, messages as protobuf JSON, status, timing')
    .argument('[input]', 'capture file (pcap, pcapng, optionally gzip-compressed), or - for stdin')
    .option('-r, --read-file <file>', 'the capture to read (same as INPUT, as in tshark)')
    .addOption(new Option('-F, --format <format>', 'output format').choices(['text', 'ndjson', 'json']).default('text'))
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .option('-V, --verbose', 'text: every call in full (headers, messages, trailers) instead of one line per call')
    .option('--full', `text: long values whole (default: cut at ${MAX_VALUE_CHARS} characters, with … and the full length)`)
    .option('--frames', 'also output every HTTP/2 frame')
    .option('--no-color', 'no colours in text output (also: NO_COLOR=1)');
  addDecodeOptions(cmd);
  addFilterOptions(cmd);
  cmd.action(async (input: string | undefined, flags: Flags) => {
    await runDecode(inputArgument(input, flags.readFile), flags);
  });
}

async function runDecode(input: string, flags: Flags): Promise<void> {
  checkInput(input);
  const options = pipelineOptionsFrom(flags);
  options.frames = Boolean(flags.frames);
  options.requireInput = true;
  const origin = (options.origin = new TimeOrigin());
  const filter = filterFromOptions(flags);
  const out = openOutput(flags.output);
  let json: JsonArrayWriter | undefined;
  let grouper: CallGrouper | undefined;
  let nd: NdjsonWriter | undefined;
  let sink: RecordSink;

  if (flags.format === 'ndjson' && !filter.needsCall) {
    // Streaming: each record as soon as it is decoded.
    const w = (nd = new NdjsonWriter(out));
    sink = filter.active
      ? {
          message: (m) => { if (filter.matchMessage(m)) w.message(m); },
          call: (c) => { if (filter.matchCall(c)) w.call(c); },
          frame: (f) => w.frame(f),
        }
      : w;
  } else {
    let target: CallGroupSink & { frame(f: FrameRecord): void };
    if (flags.format === 'json') target = json = new JsonArrayWriter(out);
    else if (flags.format === 'text') {
      target = new TextWriter(out, { color: useColor(out.isTTY, flags.color), verbose: flags.verbose, full: flags.full, origin });
    }
    else {
      // NDJSON with a filter on the call's outcome: a call's messages wait for it.
      const w = (nd = new NdjsonWriter(out));
      target = {
        group: (call, messages) => { for (const m of messages) w.message(m); w.call(call); },
        partial: (messages) => { for (const m of messages) w.message(m); },
        frame: (f) => w.frame(f),
      };
    }
    const filtered: CallGroupSink = {
      group: (call, messages) => {
        const kept = filter.matchGroup(call, messages);
        if (kept) target.group(call, kept);
      },
      partial: (messages) => target.partial(messages.filter((m) => filter.matchMessage(m) && !filter.needsCall)),
    };
    grouper = new CallGrouper(filtered);
    const g = grouper;
    sink = { message: (m) => g.message(m), call: (c) => g.call(c), frame: (f) => target.frame(f) };
  }

  let summary: Awaited<ReturnType<typeof readRecords>>;
  try {
    summary = await readRecords(input, sink, options, out);
  } finally {
    // Close the JSON array and write what was gathered even when the input ended in a fault.
    try {
      grouper?.flush();
      json?.close();
      nd?.flush();
      await out.close();
    } catch (err) {
      await out.abort();
      throw err;
    }
  }
  // After the output is complete (a failed write is then the one line to read), and after the last groups
  // were judged, so a filter's "matched nothing" is final.
  reportWarnings(summary, options.quiet, filter.noMatchReport());
}
