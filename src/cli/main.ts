/**
 * The command line: one file per subcommand, each exporting `register(program)`. This file only wires them
 * and turns every error into one line on stderr with a documented exit code (see ../errors.ts).
 */
import * as v8 from 'node:v8';
import { Command, CommanderError } from 'commander';
import { EXIT_INPUT, EXIT_USAGE, GrpctkError } from '../errors';
import { version } from '../version';
import { register as registerDecode } from './decode';
import { register as registerStats } from './stats';
import { register as registerExport } from './export';
import { register as registerCapture } from './capture';
import { register as registerSplit } from './split';
import { register as registerReport } from './report';

export function buildProgram(): Command {
  const program = new Command('grpctk')
    .description('Decode, summarize, export and split gRPC calls from packet captures (pcap, pcapng, gzip)')
    .version(version, '-V, --version')
    // Usage errors are one line too, in grpctk's voice: "grpctk: unknown option '--x' (see grpctk decode --help)".
    .configureOutput({
      outputError: (text, write) => write(`grpctk: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    })
    .exitOverride();
  registerDecode(program);
  registerStats(program);
  registerExport(program);
  registerSplit(program);
  registerReport(program);
  registerCapture(program);
  return program;
}

/**
 * V8's incremental marking off, for the whole run. Measured on the dense benchmark (node --trace-gc-nvp):
 * once the first full GC has run, marking is active nearly all the time, and every scavenge during it
 * promotes the young objects that marking reached through long-lived tables (the open calls, HTTP/2
 * streams, HPACK entries) — 72 MB promoted instead of 3.5 MB, scavenges 290 ms instead of 30-50, peak RSS
 * 170 MB instead of 100. grpctk is a batch tool: an atomic full GC (a few ms on its ~10 MB of live data)
 * costs nothing anyone waits for. The flag is read when marking would start, so setting it here, before
 * any decoding, takes effect.
 */
export function tuneGarbageCollector(): void {
  v8.setFlagsFromString('--no-incremental-marking');
}

export async function main(argv: string[]): Promise<void> {
  tuneGarbageCollector();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version are not failures; every other commander error is bad usage (already printed).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return EXIT_USAGE;
  }
  if (err instanceof GrpctkError) {
    // exit code 0: the reader of our output went away (`| head`): nothing to say.
    if (err.exitCode === 0) return 0;
    process.stderr.write(`grpctk: ${oneLine(err.message)}\n`);
    return err.exitCode;
  }
  // Not expected: still one line, with the stack only when asked for.
  const e = err as Error;
  process.stderr.write(`grpctk: internal error: ${oneLine(e && e.message ? e.message : String(err))}\n`);
  if (process.env.GRPCTK_DEBUG && e && e.stack) process.stderr.write(e.stack + '\n');
  return EXIT_INPUT;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}
