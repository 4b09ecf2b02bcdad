/**
 * grpctk export: calls or messages as CSV for a spreadsheet, Parquet for an analytics engine
 * (../output/parquet.ts), OTLP spans for a tracing backend (../output/otlp.ts), or NDJSON / one JSON array
 * for anything else, from a capture or from `grpctk decode --format ndjson` output; columns are record
 * field names (../records/fields.ts), with dots to reach inside objects.
 */
import * as v8 from 'v8';
import { Command, Option } from 'commander';
import { InputError, UsageError } from '../errors';
import { addFilterOptions, filterFromOptions, joinMessagesWithCalls, type RecordFilter } from '../filter';
import type { RecordSink } from '../records/types';
import { CsvWriter } from '../output/csv';
import { OtlpSpanWriter } from '../output/otlp';
import { ParquetRecordWriter } from '../output/parquet';
import { escapeJson } from '../output/escape';
import { openOutput } from '../output/sink';
import { checkInput, readRecords, reportWarnings } from '../pipeline';
import { columnReaders, defaultCsvColumns, projectRecord, resolveColumns } from '../records/columns';
import { TimeOrigin } from '../records/time';
import type { CallRecord, MessageRecord } from '../records/types';
import { inputArgument } from './input';
import { addDecodeOptions, type DecodeFlags, pipelineOptionsFrom } from './options';

export type ExportFormat = 'csv' | 'ndjson' | 'json' | 'parquet' | 'otlp';
export type ExportRecords = 'calls' | 'messages';

interface Flags extends DecodeFlags {
  readFile?: string;
  format: ExportFormat;
  records: ExportRecords;
  columns?: string;
  output?: string;
  bom?: boolean;
  sanitize: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('write calls or messages as CSV (spreadsheets), NDJSON, JSON, Parquet (analytics engines) or OTLP spans')
    .argument('[input]', 'capture file (pcap, pcapng, optionally gzip-compressed) or decode NDJSON, or - for stdin')
    .option('-r, --read-file <file>', 'the input to read (same as INPUT, as in tshark)')
    .addOption(new Option('-F, --format <format>', 'output format').choices(['csv', 'ndjson', 'json', 'parquet', 'otlp']).default('csv'))
    .addOption(new Option('--records <kind>', 'one row per call or per message').choices(['calls', 'messages']).default('calls'))
    .option('--columns <list>', 'record fields to write, comma-separated; dots reach inside (request_headers.user-agent)')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .option('--bom', 'CSV: start with a UTF-8 byte order mark (for Excel)')
    .option('--no-sanitize', 'CSV: do not neutralize cells that a spreadsheet would run as formulas (= + - @ tab CR)');
  addDecodeOptions(cmd);
  addFilterOptions(cmd);
  cmd.action(async (input: string | undefined, flags: Flags) => {
    await runExport(inputArgument(input, flags.readFile), flags);
  });
}

async function runExport(input: string, flags: Flags): Promise<void> {
  checkInput(input);
  if (flags.bom && flags.format !== 'csv') throw new UsageError('--bom applies to --format csv only');
  const options = pipelineOptionsFrom(flags);
  // One row per call: message bodies are not decoded at all.
  options.callsOnly = flags.records === 'calls';
  const filter = filterFromOptions(flags, { callsOnly: flags.records === 'calls' });
  if (flags.format === 'parquet' && (flags.output === undefined || flags.output === '-') && process.stdout.isTTY) {
    throw new UsageError('--format parquet is binary: give -o FILE or redirect standard output');
  }
  // A Parquet row group lives until it is full (100,000 rows of values, promoted to the old generation),
  // the long-lived garbage incremental marking exists for; main() turns it off for the decode-only
  // workloads. Without it, exporting the 1 GB benchmark capture grew past 3 GB of heap between full GCs.
  if (flags.format === 'parquet') v8.setFlagsFromString('--incremental-marking');
  const origin = (options.origin = new TimeOrigin());
  const out = openOutput(flags.output);
  let fault: InputError | undefined;
  let summary: Awaited<ReturnType<typeof readRecords>> | undefined;
  try {
    const exporter = new RecordExporter((text) => out.write(text), {
      writeBytes: (bytes) => out.writeBytes!(bytes),
      format: flags.format,
      records: flags.records,
      columns: flags.columns,
      sanitize: flags.sanitize,
      bom: flags.bom,
      filter,
      origin,
    });
    try {
      summary = await readRecords(input, exporter, options, out);
    } catch (err) {
      // An input fault keeps what was exported before it (closed properly), then exits 1.
      if (!(err instanceof InputError)) throw err;
      fault = err;
    }
    exporter.end();
    await out.close();
    if (exporter.otlp && exporter.otlp.open > 0 && !options.quiet) {
      process.stderr.write(`grpctk: ${exporter.otlp.open} call(s) still open when the capture ended: no span (a span needs its end)\n`);
    }
  } catch (err) {
    await out.abort();
    throw err;
  }
  // After the output is complete: a failed write is then the one line to read.
  if (summary) reportWarnings(summary, options.quiet, filter.noMatchReport());
  if (fault) throw fault;
}

export interface ExportOptions {
  format: ExportFormat;
  /** Where binary formats (Parquet) write their bytes. */
  writeBytes?: (bytes: Uint8Array) => void;
  records: ExportRecords;
  /** `--columns` as typed (comma-separated); the registry's order when absent. */
  columns?: string;
  /** CSV formula neutralization (default true). */
  sanitize?: boolean;
  bom?: boolean;
  filter?: RecordFilter;
  /** The capture's start, for the `*_relative_s` columns (set by the pipeline at the first packet). */
  origin?: TimeOrigin;
}

/**
 * The export core, a RecordSink writing text through `write` as records arrive:
 *  - csv: a header row, then one row per record, cells per ../output/csv.ts;
 *  - ndjson: one record per line, whole (exactly as decode wrote it) or, with --columns, an object of
 *    the columns keyed by their names as typed;
 *  - json: the same objects in one array;
 *  - parquet: the columns typed, row group by row group, as bytes through `writeBytes`;
 *  - otlp: one span per ended call, up to OTLP_SPANS_PER_LINE spans per line.
 * Messages under --status wait for their call (../filter/join.ts).
 */
export class RecordExporter implements RecordSink {
  /** Records written. */
  count = 0;
  private readonly emit: (record: CallRecord | MessageRecord) => void;
  private readonly finish: () => void;
  private readonly join: ReturnType<typeof joinMessagesWithCalls> | null;
  private readonly filter: RecordFilter | undefined;
  /** The span writer of --format otlp (it counts the calls it could not write). */
  otlp: OtlpSpanWriter | null = null;

  constructor(write: (text: string) => void, private readonly options: ExportOptions) {
    const type = options.records === 'calls' ? 'call' : 'message';
    // CSV by default: the record's fields and the spreadsheet columns of its times.
    const columns =
      options.columns !== undefined || options.format === 'csv'
        ? resolveColumns(type, options.columns, '--columns', defaultCsvColumns(type))
        : null;
    const readers = columns ? columnReaders(type, columns, options.origin) : [];
    switch (options.format) {
      case 'csv': {
        const csv = new CsvWriter(write, columns!, { sanitize: options.sanitize, bom: options.bom });
        this.emit = (r) => csv.row(readers.map((read) => read(r)));
        this.finish = () => csv.end();
        break;
      }
      case 'ndjson':
        this.emit = (r) => write(escapeJson(JSON.stringify(columns ? projectRecord(r, columns, readers) : r)) + '\n');
        this.finish = () => undefined;
        break;
      case 'json':
        this.emit = (r) => write((this.count === 0 ? '[\n' : ',\n') + escapeJson(JSON.stringify(columns ? projectRecord(r, columns, readers) : r)));
        this.finish = () => write(this.count === 0 ? '[]\n' : '\n]\n');
        break;
      case 'parquet': {
        if (!options.writeBytes) throw new Error('parquet export needs writeBytes');
        const pq = new ParquetRecordWriter(options.writeBytes, type, columns ?? resolveColumns(type));
        this.emit = (r) => pq.add(r);
        this.finish = () => pq.end();
        break;
      }
      case 'otlp': {
        if (options.records !== 'calls') throw new UsageError('--format otlp writes calls (one span per call): leave out --records messages');
        if (options.columns !== undefined) throw new UsageError('--format otlp has its own fields: leave out --columns');
        const otlp = new OtlpSpanWriter(write);
        this.otlp = otlp;
        this.emit = (r) => otlp.call(r as CallRecord);
        this.finish = () => otlp.end();
        break;
      }
    }
    this.filter = options.filter;
    this.join =
      options.records === 'messages' && options.filter
        ? joinMessagesWithCalls(options.filter, { message: (m) => this.write(m), call: () => undefined })
        : null;
  }

  private write(record: CallRecord | MessageRecord): void {
    this.emit(record);
    this.count++;
  }

  message(m: MessageRecord): void {
    if (this.options.records !== 'messages') return;
    if (this.join) this.join.message(m);
    else this.write(m);
  }

  call(c: CallRecord): void {
    if (this.options.records === 'messages') {
      this.join?.call(c);
      return;
    }
    if (!this.filter || this.filter.matchCall(c)) this.write(c);
  }

  /** Closes the output format (and drops messages whose call never came, under --status). */
  end(): void {
    this.join?.end();
    this.finish();
  }
}
