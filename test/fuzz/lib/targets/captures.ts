/**
 * Target "captures": every sample capture (samples/READY), mutated (./../mutate.ts), through the whole
 * synchronous core with the demo schema, pushed in random chunk sizes; one input in five with tiny limits
 * so the limit paths (streams, connections, buffers, message sizes, depth) are taken too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { decodeCore, SAMPLES, type CoreOptions } from '../core';
import { mutateCapture } from '../mutate';
import { Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

interface Sample {
  name: string;
  bytes: Uint8Array;
  kind: 'pcap' | 'pcapng';
}

let samples: Sample[] | undefined;

/** The samples listed in samples/READY, gzip ones decompressed (the gzip edge is not the core's). */
export function loadSamples(): Sample[] {
  if (samples) return samples;
  const names = fs.readFileSync(path.join(SAMPLES, 'READY'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  samples = names.map((name) => {
    let bytes: Uint8Array = fs.readFileSync(path.join(SAMPLES, name));
    const base = name.replace(/\.gz$/, '');
    if (name.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
    return { name, bytes, kind: base.endsWith('.pcap') ? 'pcap' : 'pcapng' };
  });
  return samples;
}

/** Limits small enough that the samples reach them. */
export function tinyLimits(rng: Rng): CoreOptions['limits'] {
  return {
    maxMessageBytes: rng.pick([0, 1, 16, 1024]),
    maxDecompressedBytes: rng.pick([1, 16, 1024]),
    maxDepth: rng.pick([1, 2, 3]),
    maxStreamsPerConnection: rng.pick([1, 2, 4]),
    maxConnections: rng.pick([1, 2]),
    maxBufferedBytesPerDirection: rng.pick([0, 100, 4096]),
    maxBufferedBytesTotal: rng.pick([0, 1000, 65536]),
  };
}

export const target: Target = {
  name: 'captures',
  longIterations: 2000,
  quickIterations: 200,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const all = loadSamples();
    const sample = all[rng.int(all.length)];
    const m = mutateCapture(sample.bytes, rng);
    const options: CoreOptions = { chunkSeed: rng.u32(), frames: rng.bool(0.2) };
    if (rng.bool(0.2)) options.limits = tinyLimits(rng);
    if (rng.bool(0.1)) options.http2Ports = [50051, 50052, 50053, 50054, 50060, 50062, 50070, 50080, 50090];
    return { label: `${sample.name}: ${m.steps.join('; ')}`, kind: sample.kind, bytes: m.bytes, options };
  },
  check(input: FuzzInput): void {
    decodeCore(input.bytes, input.options);
  },
};
