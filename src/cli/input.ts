import { UsageError } from '../errors';

/**
 * The input of a reading subcommand: the positional argument, or -r FILE (tshark's spelling), or stdin when
 * it is a pipe. Reading a terminal is never what the user meant.
 */
export function inputArgument(positional: string | undefined, readFile: string | undefined): string {
  if (positional !== undefined && readFile !== undefined && positional !== readFile) {
    throw new UsageError('give the input once: either INPUT or -r FILE');
  }
  const input = positional ?? readFile;
  if (input !== undefined) return input;
  if (process.stdin.isTTY) throw new UsageError('no input: give a capture file, or - to read standard input');
  return '-';
}
