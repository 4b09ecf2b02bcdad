/**
 * How fast the capture reader walks a file. Prints MB/s and packets/s; never fails on a timing.
 *
 *   node --import tsx bench/read-pcap.ts FILE [--runs N]
 *       Reads FILE (pcap, pcapng, or gzip of either) twice per run: a plain synchronous loop of 1 MiB
 *       fs.readSync chunks into CaptureReader (the reader alone, page cache permitting), then through
 *       readCapture (the async input edge, gunzip included).
 *
 *   node --import tsx bench/read-pcap.ts --make N IN OUT
 *       Writes OUT, a pcapng of IN's packets repeated N times, each repetition shifted in time to follow the
 *       previous one: a large capture to read, made from a small real one.
 */
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { readCapture } from '../src/input/open';
import { CaptureReader } from '../src/pcap/reader';
import type { CaptureInterface, CaptureSink, Packet } from '../src/pcap/types';
import { PcapngWriter, interfaceFromCapture } from '../src/pcap/writer';

const CHUNK = 1024 * 1024;

function readSyncLoop(path: string): { bytes: number; packets: number; ms: number } {
  let packets = 0;
  let dataBytes = 0;
  const sink: CaptureSink = {
    packet(p: Packet) {
      packets++;
      dataBytes += p.capturedLength;
    },
  };
  const reader = new CaptureReader(sink);
  const fd = openSync(path, 'r');
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (;;) {
    // A fresh buffer per chunk, as a stream would hand out (packets are views into it).
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    bytes += n;
    reader.push(n === CHUNK ? buf : buf.subarray(0, n));
  }
  reader.end();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(fd);
  if (dataBytes < 0) console.log(dataBytes);
  return { bytes, packets, ms };
}

async function readEdge(path: string): Promise<{ bytes: number; packets: number; ms: number }> {
  let packets = 0;
  const t0 = process.hrtime.bigint();
  const r = await readCapture(path, { packet: () => void packets++ });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { bytes: r.bytesDecoded, packets, ms };
}

function report(label: string, r: { bytes: number; packets: number; ms: number }): void {
  const s = r.ms / 1000;
  console.log(
    `${label.padEnd(22)} ${(r.bytes / 1e6 / s).toFixed(0).padStart(6)} MB/s  ${(r.packets / s / 1e6).toFixed(2)} M packets/s` +
      `  (${(r.bytes / 1e6).toFixed(1)} MB, ${r.packets} packets, ${r.ms.toFixed(0)} ms)`,
  );
}

async function make(n: number, input: string, output: string): Promise<void> {
  const interfaces: CaptureInterface[] = [];
  const packets: { iface: number; tsSec: number; tsNsec: number; originalLength: number; data: Uint8Array }[] = [];
  await readCapture(input, {
    interface: (i) => void interfaces.push(i),
    packet: (p) => {
      if (p.interfaceId < 0) return;
      packets.push({ iface: p.interfaceId, tsSec: p.tsSec, tsNsec: p.tsNsec, originalLength: p.originalLength, data: p.data.slice() });
    },
  });
  if (packets.length === 0) throw new Error(`${input}: no packets to repeat`);
  const first = Math.min(...packets.map((p) => p.tsSec));
  const last = Math.max(...packets.map((p) => p.tsSec));
  const shift = last - first + 1;
  const fd = openSync(output, 'w');
  // Batch the writer's small blocks into large writes.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    writeSync(fd, Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  const writer = new PcapngWriter(
    (b) => {
      pending.push(b);
      pendingBytes += b.length;
      if (pendingBytes >= CHUNK) flush();
    },
    { userAppl: 'grpctk bench/read-pcap.ts --make' },
  );
  const ids = interfaces.map((i) => writer.addInterface(interfaceFromCapture(i)));
  for (let r = 0; r < n; r++) {
    for (const p of packets) {
      writer.writePacket(ids[p.iface], { ...p, tsSec: p.tsSec + r * shift });
    }
  }
  flush();
  closeSync(fd);
  console.log(`wrote ${output}: ${writer.packets} packets, ${(writer.bytesWritten / 1e6).toFixed(1)} MB`);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--make') {
    const n = Number(argv[1]);
    if (!Number.isInteger(n) || n < 1 || !argv[2] || !argv[3]) throw new Error('usage: --make N IN OUT');
    await make(n, argv[2], argv[3]);
    return;
  }
  const path = argv[0];
  if (!path) throw new Error('usage: read-pcap.ts FILE [--runs N] | --make N IN OUT');
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
  console.log(`${path}: ${(statSync(path).size / 1e6).toFixed(1)} MB on disk`);
  const gz = (() => {
    const fd = openSync(path, 'r');
    const b = Buffer.alloc(2);
    readSync(fd, b, 0, 2, 0);
    closeSync(fd);
    return b[0] === 0x1f && b[1] === 0x8b;
  })();
  for (let i = 0; i < runs; i++) {
    if (!gz) report('reader, sync loop', readSyncLoop(path));
    report('readCapture (edge)', await readEdge(path));
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`read-pcap: ${(err as Error).message}`);
  process.exitCode = 1;
});
