/**
 * Progress on stderr for long runs: bytes read of the total, packets, calls, rate, time left. Only when stderr
 * is a terminal and --quiet was not given; redrawn at most four times a second on one line, cleared at the end.
 */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly enabled: boolean,
    private readonly totalBytes: number | undefined,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  static forStderr(quiet: boolean, totalBytes: number | undefined): Progress {
    return new Progress(!quiet && Boolean(process.stderr.isTTY), totalBytes);
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
      text += `, ${packets.toLocaleString('en-US')} packets, ${calls.toLocaleString('en-US')} calls, ${mb(rate)}/s, ${Math.ceil(left)}s left`;
    } else {
      text += `, ${packets.toLocaleString('en-US')} packets, ${calls.toLocaleString('en-US')} calls, ${mb(rate)}/s`;
    }
    this.stream.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
