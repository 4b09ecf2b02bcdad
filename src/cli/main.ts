/**
 * The command line: one file per subcommand, each exporting `register(program)`. This file only wires them
 * and turns every error into one line on stderr with a documented exit code (see ../errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { EXIT_INPUT, EXIT_USAGE, GrpctkError } from '../errors';
import { version } from '../version';
import { register as registerDecode } from './decode';
import { register as registerStats } from './stats';
import { register as registerExport } from './export';
import { register as registerCapture } from './capture';
import { register as registerSplit } from './split';

export function buildProgram(): Command {
  const program = new Command('grpctk')
    .description('Decode, summarize, export and split gRPC calls from packet captures (pcap, pcapng, gzip)')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDecode(program);
  registerStats(program);
  registerExport(program);
  registerSplit(program);
  registerCapture(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
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
