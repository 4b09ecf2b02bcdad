/** Helpers of the split tests: run a split, read parts back, decode captures, run the CLI. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import { readCapture } from '../../src/input/open';
import type { CaptureInterface, Packet } from '../../src/pcap/types';
import { split, type SplitOptions, type SplitSummary } from '../../src/split/split';
import type { PartIndexRecord } from '../../src/split/parts';
import { readRecords } from '../../src/pipeline';
import { pipelineOptionsFrom } from '../../src/cli/options';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SAMPLES = path.join(ROOT, 'samples');

export function tmpDir(prefix = 'grpctk-split-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ReadPacket {
  tsSec: number;
  tsNsec: number;
  data: Buffer;
  originalLength: number;
  comments: string[];
  interfaceId: number;
}

export interface ReadCapture {
  packets: ReadPacket[];
  interfaces: CaptureInterface[];
  format: string;
}

/** Every packet of a capture, copied. */
export async function readAll(file: string): Promise<ReadCapture> {
  const packets: ReadPacket[] = [];
  const interfaces: CaptureInterface[] = [];
  const r = await readCapture(file, {
    interface: (i) => {
      interfaces.push({ ...i, options: i.options.map((o) => ({ code: o.code, value: o.value.slice() })) });
    },
    packet: (p: Packet) => {
      packets.push({
        tsSec: p.tsSec,
        tsNsec: p.tsNsec,
        data: Buffer.from(p.data),
        originalLength: p.originalLength,
        comments: p.comments ?? [],
        interfaceId: p.interfaceId,
      });
    },
  });
  return { packets, interfaces, format: r.format };
}

/** A packet as a comparable string: timestamp to the nanosecond, lengths, bytes, comments. */
export function packetKey(p: ReadPacket): string {
  return `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')} ${p.originalLength} ${p.data.toString('hex')} ${JSON.stringify(p.comments)}`;
}

export async function runSplit(options: Omit<SplitOptions, 'onPart'>): Promise<{ index: PartIndexRecord[]; summary: SplitSummary }> {
  const index: PartIndexRecord[] = [];
  const summary = await split({ ...options, onPart: (r) => index.push(r) });
  return { index, summary };
}

/** decode's records of a capture (through the real pipeline), without fields that depend on the file. */
export async function decodeRecords(file: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const options = pipelineOptionsFrom({ quiet: true });
  await readRecords(
    file,
    {
      message: (m) => out.push({ ...m }),
      call: (c) => out.push({ ...c }),
    },
    options,
  );
  return out;
}

/**
 * Records made comparable across files: packet numbers and tcp.stream numbers are renumbered in a part.
 * Everything else, `errors` included, must be the same (a method part's holes concern other methods only).
 */
export function comparable(records: Record<string, unknown>[]): string[] {
  return records
    .map((r) => {
      const c = { ...r };
      // call_id carries tcp_stream, which starts again from 0 in a part.
      for (const k of ['frame', 'tcp_stream', 'call_id', 'first_frame', 'last_frame']) delete c[k];
      return JSON.stringify(c, Object.keys(c).sort());
    })
    .sort();
}

/** Runs `grpctk <args>` in a child process, as a user would (the bundle `npm test` builds first). */
export function grpctk(args: string[], options: { input?: Buffer | string; shell?: string } = {}): SpawnSyncReturns<string> {
  const cli = path.join(ROOT, 'bin', 'grpctk.js');
  if (options.shell !== undefined) {
    const quoted = [cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawnSync('bash', ['-c', `${options.shell} '${process.execPath}' ${quoted}`], {
      cwd: ROOT,
      input: options.input,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: ROOT,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function ndjson(text: string): PartIndexRecord[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as PartIndexRecord);
}

/** stderr is one line per message, never a stack trace. */
export function assertOneLine(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  if (lines.length !== 1 || /\n\s+at /.test(stderr) || !lines[0].startsWith('grpctk: ')) {
    throw new Error(`expected one grpctk: line on stderr, got:\n${stderr}`);
  }
}
