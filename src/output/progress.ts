import * as fs from 'fs';
import { formatInteger } from '../units';

/**
 * Progress on stderr for long runs: bytes read of the total, packets, calls, rate, time left. Only when stderr
 * is a terminal, stdout is not a pipe and --quiet was not given; redrawn at most four times a second on one
 * line, cleared at the end.
 *
 * The line never mixes with the output: when stdout is the same terminal, the output edge clears it
 * (clearForOutput) before every write, so output starts at the first column and the line is drawn again
 * below it. On a pipe (`| less`, `| jq`) there is no progress at all: the reader of the pipe may be drawing
 * on the terminal too (less), and a line written under it would overwrite what it shows.
 */
export class Progress {
  /** The progress line being drawn, if any (one per process: one input is read at a time). */
  private static active: Progress | undefined;

  private last = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly enabled: boolean,
    private readonly totalBytes: number | undefined,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (enabled) Progress.active = this;
  }

  /** Whether to draw progress at all (see the class comment). */
  static wanted(o: { quiet: boolean; stderrIsTTY: boolean; stdoutIsPipe: boolean }): boolean {
    return !o.quiet && o.stderrIsTTY && !o.stdoutIsPipe;
  }

  static forStderr(quiet: boolean, totalBytes: number | undefined): Progress {
    return new Progress(Progress.wanted({ quiet, stderrIsTTY: Boolean(process.stderr.isTTY), stdoutIsPipe: stdoutIsPipe() }), totalBytes);
  }

  /** Erase the progress line, if one is drawn, before output goes to the terminal. */
  static clearForOutput(): void {
    Progress.active?.done();
  }

  update(bytesRead: number, packets: number, calls: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 250) return;
    this.last = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? bytesRead / elapsed : 0;
    let text = `${mb(bytesRead)}`;
    if (this.totalBytes) {
      const pct = Math.min(100, (bytesRead / this.totalBytes) * 100);
      const left = rate > 0 ? (this.totalBytes - bytesRead) / rate : 0;
      text += ` of ${mb(this.totalBytes)} (${pct.toFixed(0)}%)`;
      text += `, ${formatInteger(packets)} packets, ${formatInteger(calls)} calls, ${mb(rate)}/s, ${Math.ceil(left)}s left`;
    } else {
      text += `, ${formatInteger(packets)} packets, ${formatInteger(calls)} calls, ${mb(rate)}/s`;
    }
    this.stream.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

function stdoutIsPipe(): boolean {
  try {
    return fs.fstatSync(1).isFIFO() || fs.fstatSync(1).isSocket();
  } catch {
    return false;
  }
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
