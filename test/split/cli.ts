/**
 * Runs grpctk with the split subcommand registered (until the lead wires it into src/cli/main.ts, main's
 * program lacks it). Same error handling as main: one line on stderr, documented exit codes.
 *   node --import tsx test/split/cli.ts split --by connection -o DIR INPUT
 */
import { CommanderError } from 'commander';
import { GrpctkError } from '../../src/errors';
import { buildProgram } from '../../src/cli/main';
import { register } from '../../src/cli/split';

async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (!program.commands.some((c) => c.name() === 'split')) register(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : 2;
    } else if (err instanceof GrpctkError) {
      if (err.exitCode !== 0) process.stderr.write(`grpctk: ${err.message.replace(/[\r\n]+/g, ' ')}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`grpctk: internal error: ${(err as Error)?.message}\n`);
      if (process.env.GRPCTK_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
      process.exitCode = 1;
    }
  }
}

void run(process.argv);
