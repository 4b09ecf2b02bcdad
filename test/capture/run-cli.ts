/**
 * Test entry point used until src/cli/main.ts registers `capture` (see helpers.ts, which then runs
 * bin/grpctk.js instead): a program with only the capture subcommand, straight from src/ (no build needed, and
 * independent of the other subcommands), with main.ts's error handling: one line, documented exit code.
 */
import { Command, CommanderError } from 'commander';
import { register } from '../../src/cli/capture';
import { EXIT_INPUT, EXIT_USAGE, GrpctkError } from '../../src/errors';

async function run(): Promise<void> {
  const program = new Command('grpctk').exitOverride();
  register(program);
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : EXIT_USAGE;
    } else if (err instanceof GrpctkError) {
      process.stderr.write(`grpctk: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`grpctk: internal error: ${(err as Error).message}\n`);
      process.exitCode = EXIT_INPUT;
    }
  }
}

void run();
