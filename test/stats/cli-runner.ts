/**
 * Runs the grpctk command line in a child process for end-to-end tests: `main` itself once stats and export
 * are registered there; until then the same wiring, with main's one-line error reporting.
 */
import { buildProgram, main } from '../../src/cli/main';
import { register as registerExport } from '../../src/cli/export';
import { register as registerStats } from '../../src/cli/stats';
import { GrpctkError } from '../../src/errors';

async function run(argv: string[]): Promise<void> {
  const names = buildProgram().commands.map((c) => c.name());
  if (names.includes('stats') && names.includes('export')) return main(argv);
  const program = buildProgram();
  if (!names.includes('stats')) registerStats(program);
  if (!names.includes('export')) registerExport(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof GrpctkError) {
      if (err.exitCode !== 0) process.stderr.write(`grpctk: ${err.message.replace(/[\r\n]+/g, ' ')}\n`);
      process.exitCode = err.exitCode;
    } else if (err && (err as { code?: string }).code?.startsWith('commander.')) {
      process.exitCode = (err as { exitCode?: number }).exitCode === 0 ? 0 : 2;
    } else {
      process.stderr.write(`grpctk: internal error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}

void run(process.argv);
