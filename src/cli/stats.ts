/**
 * grpctk stats: per-method (or per-status, -connection, -server, -client, -authority, nested) answers from
 * a capture or from `grpctk decode --format ndjson` output: calls, statuses, errors, latency percentiles,
 * messages, bytes, rate; optionally a time series per group. Definitions in ../stats/tap.ts.
 */
import { Command, Option } from 'commander';
import { InputError, UsageError } from '../errors';
import { addFilterOptions, filterFromOptions } from '../filter';
import { openOutput } from '../output/sink';
import { DEFAULT_TABLE_WIDTH } from '../output/table';
import { checkInput, readRecords, reportWarnings } from '../pipeline';
import { GROUP_BY, parseDuration, renderStats, SORT_KEYS, StatsTap, type GroupBy, type SortKey, type StatsFormat } from '../stats';
import { mergeStats, readStatsFile } from '../stats/merge';
import { inputArgument } from './input';
import { addDecodeOptions, type DecodeFlags, pipelineOptionsFrom } from './options';

interface Flags extends DecodeFlags {
  readFile?: string;
  format: StatsFormat;
  output?: string;
  sort: string;
  interval?: string;
  bom?: boolean;
  sanitize: boolean;
  merge?: string[];
}

export function register(program: Command): void {
  // --by and the --by-X aliases, in the order typed: that order is the nesting.
  const by: string[] = [];
  const cmd = program
    .command('stats')
    .description('count calls, statuses, errors and latency percentiles per method (or status, connection, …)')
    .argument('[input]', 'capture file (pcap, pcapng, optionally gzip-compressed) or decode NDJSON, or - for stdin')
    .option('-r, --read-file <file>', 'the input to read (same as INPUT, as in tshark)')
    .option('--by <key>', `group by ${GROUP_BY.join('|')}; repeat (or comma-separate) to nest (default: method)`)
    .addOption(new Option('-F, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .addOption(new Option('--sort <key>', 'order of groups: numbers largest first, key and first ascending').choices([...SORT_KEYS]).default('calls'))
    .option('--interval <duration>', 'also a time series per group: calls, errors and p99 per DURATION (1s, 250ms, 5m)')
    .option('--merge <files...>', 'combine `stats -F json` answers of shards (parts of a split capture, captures of a fleet) into one')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .option('--bom', 'CSV: start with a UTF-8 byte order mark (for Excel)')
    .option('--no-sanitize', 'CSV: do not neutralize cells that a spreadsheet would run as formulas');
  for (const key of GROUP_BY) {
    cmd.addOption(new Option(`--by-${key}`, `same as --by ${key}`));
    cmd.on(`option:by-${key}`, () => by.push(key));
  }
  cmd.on('option:by', (value: string) => by.push(...value.split(',').map((s) => s.trim())));
  addDecodeOptions(cmd);
  addFilterOptions(cmd);
  cmd.action(async (input: string | undefined, flags: Flags) => {
    if (flags.merge !== undefined) return runMerge(input, flags, by);
    await runStats(inputArgument(input, flags.readFile), flags, groupingFrom(by));
  });
}

function groupingFrom(by: string[]): GroupBy[] {
  const out: GroupBy[] = [];
  for (const key of by) {
    if (!GROUP_BY.includes(key as GroupBy)) {
      throw new UsageError(`--by: unknown grouping ${JSON.stringify(key)} (expected ${GROUP_BY.join(', ')})`);
    }
    if (!out.includes(key as GroupBy)) out.push(key as GroupBy);
  }
  return out.length > 0 ? out : ['method'];
}

/** `--merge FILE...`: the answers of several `stats -F json` runs as one (../stats/merge.ts). */
async function runMerge(input: string | undefined, flags: Flags, by: string[]): Promise<void> {
  // Everything that shapes or filters the answer was fixed when the shards ran.
  const files = [...flags.merge!, ...(input !== undefined ? [input] : [])];
  if (flags.readFile !== undefined) throw new UsageError('--merge reads stats JSON files, not a capture: leave out -r');
  if (by.length > 0) throw new UsageError('--merge: the grouping comes from the merged files; leave out --by');
  if (flags.interval !== undefined) throw new UsageError('--merge: the interval comes from the merged files; leave out --interval');
  const filters = flags as unknown as Record<string, unknown>;
  for (const f of ['method', 'host', 'port', 'status', 'minSize', 'maxSize', 'since', 'until']) {
    if (filters[f] !== undefined && !(Array.isArray(filters[f]) && (filters[f] as unknown[]).length === 0)) {
      throw new UsageError('--merge: filters apply when the shards run; leave them out here');
    }
  }
  if (flags.bom && flags.format !== 'csv') throw new UsageError('--bom applies to --format csv only');
  const result = mergeStats(files.map(readStatsFile), { sort: flags.sort as SortKey, mergeable: flags.format === 'json' });
  const out = openOutput(flags.output);
  try {
    const width = out.isTTY && (process.stdout.columns ?? 0) > DEFAULT_TABLE_WIDTH ? process.stdout.columns : DEFAULT_TABLE_WIDTH;
    out.write(renderStats(result, flags.format, { width, csv: { bom: flags.bom, sanitize: flags.sanitize } }));
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
}

async function runStats(input: string, flags: Flags, by: GroupBy[]): Promise<void> {
  checkInput(input);
  if (flags.bom && flags.format !== 'csv') throw new UsageError('--bom applies to --format csv only');
  const options = pipelineOptionsFrom(flags);
  // The tap reads call records only: message bodies are not decoded at all.
  options.callsOnly = true;
  const tap = new StatsTap({
    by,
    sort: flags.sort as SortKey,
    intervalMs: flags.interval !== undefined ? parseDuration(flags.interval) : undefined,
    filter: filterFromOptions(flags),
  });
  const out = openOutput(flags.output);
  // An input fault (a capture cut short, a bad NDJSON line) still shows the numbers up to it, then exits 1.
  let fault: InputError | undefined;
  try {
    try {
      const summary = await readRecords(input, tap, options);
      reportWarnings(summary, options.quiet);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      fault = err;
    }
    const width = out.isTTY && (process.stdout.columns ?? 0) > DEFAULT_TABLE_WIDTH ? process.stdout.columns : DEFAULT_TABLE_WIDTH;
    out.write(renderStats(tap.result({ mergeable: flags.format === 'json' }), flags.format, { width, csv: { bom: flags.bom, sanitize: flags.sanitize } }));
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
  if (fault) throw fault;
}
