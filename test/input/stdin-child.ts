/**
 * Run by open.test.ts as a child process with a capture (or text) on its stdin: reads '-' the way the CLI
 * does and prints what it found as one JSON line, or the one-line error.
 */
import { openInput, readCapture } from '../../src/input/open';
import type { Packet } from '../../src/pcap/types';

(async () => {
  const input = await openInput('-');
  if (input.kind !== 'capture') {
    let text = '';
    for await (const c of input.chunks) text += c.toString('utf8');
    process.stdout.write(JSON.stringify({ kind: input.kind, gzip: input.gzip, text }) + '\n');
    return;
  }
  const times: string[] = [];
  const r = await readCapture(input, {
    packet: (p: Packet) => void times.push(`${p.number} ${p.tsSec}.${String(p.tsNsec).padStart(9, '0')} ${p.capturedLength}`),
  });
  process.stdout.write(JSON.stringify({ kind: input.kind, ...r, times }) + '\n');
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: (err as Error).name, message: (err as Error).message }) + '\n');
});
