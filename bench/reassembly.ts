/**
 * Throughput of the capture path below HTTP/2: read + link/IP decode + TCP reassembly.
 *
 *   node --import tsx bench/reassembly.ts CAPTURE [--repeat N]
 *
 * Reads CAPTURE (pcap, pcapng, gzip'd or not) N times after a warm-up (default: enough passes for about a
 * second, at most 1000) and prints MB/s (capture bytes, decompressed) and packets/s, for the whole path and for
 * decode + reassembly alone (the file held in memory and pushed through the reader). Never fails on a timing.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CaptureReader } from '../src/pcap/reader';
import { readCapture } from '../src/input/open';
import { PacketDecoder } from '../src/net/decode';
import { Assembler } from '../src/tcp/assembler';
import type { CaptureSink } from '../src/pcap/types';

function usage(): never {
  process.stderr.write('usage: node --import tsx bench/reassembly.ts CAPTURE [--repeat N]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const path = args[0];
if (path === undefined || path.startsWith('-')) usage();
let repeat = 0;
const r = args.indexOf('--repeat');
if (r >= 0) {
  repeat = Number(args[r + 1]);
  if (!Number.isInteger(repeat) || repeat < 1) usage();
}

interface Totals {
  packets: number;
  delivered: number;
}

function pipeline(totals: Totals): { sink: CaptureSink; finish(): void; decoder: PacketDecoder; assembler: Assembler } {
  const decoder = new PacketDecoder();
  const assembler = new Assembler(() => ({
    data(_dir, bytes) {
      totals.delivered += bytes.length;
    },
    gap() {},
    close() {},
  }));
  return {
    decoder,
    assembler,
    sink: {
      packet(p) {
        totals.packets++;
        const seg = decoder.decode(p);
        if (seg !== undefined) assembler.segment(seg);
      },
    },
    finish() {
      assembler.flush();
    },
  };
}

function rate(bytes: number, packets: number, ns: bigint): string {
  const s = Number(ns) / 1e9;
  return `${(bytes / 1e6 / s).toFixed(1)} MB/s, ${Math.round(packets / s).toLocaleString('en-US')} packets/s (${s.toFixed(2)} s)`;
}

async function main(): Promise<void> {
  let raw = readFileSync(path);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);

  // Warm up (JIT) for about half a second in memory, which also calibrates the number of passes.
  const t0 = process.hrtime.bigint();
  let warm = 0;
  do {
    const p = pipeline({ packets: 0, delivered: 0 });
    const reader = new CaptureReader(p.sink);
    reader.push(raw);
    reader.end();
    p.finish();
    warm++;
  } while (Number(process.hrtime.bigint() - t0) < 5e8 && warm < 1000);
  const once = Number(process.hrtime.bigint() - t0) / 1e9 / warm;
  const passes = repeat > 0 ? repeat : Math.max(1, Math.min(1000, Math.ceil(1 / Math.max(once * 3, 1e-6))));

  // Whole path: file system, (gunzip), reader, decoder, assembler.
  let totals = { packets: 0, delivered: 0 };
  let bytes = 0;
  let last: ReturnType<typeof pipeline> | undefined;
  let start = process.hrtime.bigint();
  for (let i = 0; i < passes; i++) {
    const p = pipeline(totals);
    const res = await readCapture(path, p.sink);
    p.finish();
    bytes += res.bytesDecoded;
    last = p;
  }
  const whole = process.hrtime.bigint() - start;
  process.stdout.write(`${path}: ${raw.length.toLocaleString('en-US')} bytes, ${(totals.packets / passes).toLocaleString('en-US')} packets, ${passes} passes\n`);
  process.stdout.write(`read + decode + reassembly: ${rate(bytes, totals.packets, whole)}\n`);

  // In memory: reader, decoder, assembler only.
  totals = { packets: 0, delivered: 0 };
  start = process.hrtime.bigint();
  for (let i = 0; i < passes; i++) {
    const p = pipeline(totals);
    const reader = new CaptureReader(p.sink);
    reader.push(raw);
    reader.end();
    p.finish();
  }
  const mem = process.hrtime.bigint() - start;
  process.stdout.write(`in memory (parse + decode + reassembly): ${rate(raw.length * passes, totals.packets, mem)}\n`);
  if (last !== undefined) {
    process.stdout.write(`net: ${JSON.stringify(last.decoder.counters)}\n`);
    process.stdout.write(`tcp: ${JSON.stringify(last.assembler.counters)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
