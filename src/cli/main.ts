/**
 * The command line: one file per subcommand, each exporting `register(program)`. This file only wires them
 * and turns every error into one line on stderr with a documented exit code (see ../errors.ts).
 */
import type * as v8 from 'node:v8';
import type * as Commander from 'commander';
import type { Command } from 'commander';
import { EXIT_INPUT, EXIT_USAGE, GrpctkError } from '../errors';
import { version } from '../version';
import { escapeCell } from '../output/escape';

interface Subcommand {
  register(program: Command): void;
}

/**
 * Each subcommand's file, loaded only when the command line names it: on a small capture, start-up is
 * most of a run, and each subcommand brings its own layers and dependencies (`--version` loads none).
 * In the order `--help` lists them.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const SUBCOMMANDS: Record<string, () => Subcommand> = {
  decode: () => require('./decode') as Subcommand,
  stats: () => require('./stats') as Subcommand,
  export: () => require('./export') as Subcommand,
  split: () => require('./split') as Subcommand,
  report: () => require('./report') as Subcommand,
  capture: () => require('./capture') as Subcommand,
};
/* eslint-enable @typescript-eslint/no-var-requires */

/** The subcommands `argv` (process.argv: node, script, arguments) needs: all when it names none (help). */
function subcommandsFor(argv: string[] | undefined): string[] {
  const all = Object.keys(SUBCOMMANDS);
  if (argv === undefined) return all;
  const args = argv.slice(2);
  if (args.length > 0 && Object.prototype.hasOwnProperty.call(SUBCOMMANDS, args[0])) return [args[0]];
  if (args.length > 0 && args.every((a) => a === '-V' || a === '--version')) return [];
  return all;
}

/** commander, loaded when a command line is parsed (`--version` alone needs none of it, see main). */
function commander(): typeof Commander {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('commander') as typeof Commander;
}

/** The program, with the subcommands `argv` needs (every one when argv is not given). */

export function buildProgram(argv?: string[]): Command {
  const program = new (commander().Command)('grpctk')
    .description('Decode, summarize, export and split gRPC calls from packet captures (pcap, pcapng, gzip)')
    // --version only: -V is decode's --verbose, as in tshark.
    .version(version, '--version')
    // Usage errors are one line too, in grpctk's voice: "grpctk: unknown option '--x' (see grpctk decode --help)".
    .configureOutput({
      outputError: (text, write) => write(`grpctk: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    })
    .exitOverride();
  for (const name of subcommandsFor(argv)) SUBCOMMANDS[name]().register(program);
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
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  (require('node:v8') as typeof v8).setFlagsFromString('--no-incremental-marking');
}

export async function main(argv: string[]): Promise<void> {
  // `grpctk --version` as commander prints it, without loading commander (which loads child_process, net
  // and streams) or node:v8 (streams too): half of that command's time over `node -e 0`, measured.
  if (argv.length === 3 && argv[2] === '--version') {
    process.stdout.write(`${version}\n`);
    return;
  }
  tuneGarbageCollector();
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof commander().CommanderError) {
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
  return escapeCell(s.replace(/[\r\n]+/g, ' ').trim());
}
