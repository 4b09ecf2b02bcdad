/**
 * Errors that reach the user. Everything a capture or an NDJSON file can contain ends, at worst, in one of
 * these: the CLI prints `grpctk: <message>` on one line and exits with `exitCode`, never a stack trace.
 *
 * Exit codes (documented in the README):
 *   0  success
 *   1  a problem with the input (not a capture, cut short, lengths that lie, bad NDJSON), or an output
 *      failure (disk full, unwritable directory); everything decodable before the fault is still output
 *   2  bad usage (unknown flag, bad flag value, missing file)
 */
export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;

export class GrpctkError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_INPUT) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is not what it claims to be: the reason names what was expected and where (byte offset). */
export class InputError extends GrpctkError {
  constructor(message: string) {
    super(message, EXIT_INPUT);
  }
}

/** The input ended inside a block or record; everything before the cut has been delivered. */
export class TruncatedInputError extends InputError {}

/** A flag or argument the user gave is wrong. */
export class UsageError extends GrpctkError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}
