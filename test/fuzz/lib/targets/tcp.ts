/**
 * Target "tcp": one direction of a TCP connection cut into up to 10,000 segments (sizes 1 to 1,000 octets),
 * sent in random order, with duplicates and overlapping retransmissions, some never sent, with or without a
 * FIN, under random buffer limits: the reassembler at large counts. Every octet the handler is given must
 * be the stream's own octet at that position, each position at most once, in order; delivered plus
 * reported lost octets must cover the stream up to the last one delivered; nothing may stay buffered after
 * flush; and the buffers never pass their limits.
 *
 * Saved as `.tcp`: the stream length (u32), then per segment its offset (u32), length (u16) and flags (u8),
 * all big-endian; the limits go in the sidecar's options.
 */
import { Assembler } from '../../../../src/tcp/assembler';
import type { ConnectionHandler } from '../../../../src/tcp/types';
import { ACK, FIN, SYN, rev, seg } from '../../../tcp/helpers';
import { FuzzFailure } from '../core';
import { Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

const ISN = 0xfffff000; // the stream wraps the 32-bit sequence space early on
const octet = (k: number) => (k * 31 + 7) & 0xff;

interface Plan {
  length: number;
  segments: Array<{ offset: number; length: number; flags: number }>;
}

function encode(p: Plan): Uint8Array {
  const b = Buffer.alloc(4 + 7 * p.segments.length);
  b.writeUInt32BE(p.length, 0);
  p.segments.forEach((s, i) => {
    b.writeUInt32BE(s.offset, 4 + 7 * i);
    b.writeUInt16BE(s.length, 8 + 7 * i);
    b[10 + 7 * i] = s.flags;
  });
  return b;
}

function decode(bytes: Uint8Array): Plan {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const segments: Plan['segments'] = [];
  for (let at = 4; at + 7 <= b.length; at += 7) segments.push({ offset: b.readUInt32BE(at), length: b.readUInt16BE(at + 4), flags: b[at + 6] });
  return { length: b.length >= 4 ? b.readUInt32BE(0) : 0, segments };
}

export const target: Target = {
  name: 'tcp',
  longIterations: 40,
  quickIterations: 10,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const count = rng.pick([10, 100, 1000, 5000, 10_000]);
    // Large counts with small segments: the count is the point, and an input stays well under a second.
    const maxSize = rng.pick(count >= 5000 ? [1, 3, 20] : [1, 3, 100, 1000]);
    const segments: Plan['segments'] = [];
    let length = 0;
    for (let k = 0; k < count; k++) {
      const n = 1 + rng.int(maxSize);
      if (!rng.bool(0.05)) segments.push({ offset: length, length: n, flags: 0 });
      if (rng.bool(0.05)) segments.push({ offset: Math.max(0, length - rng.int(maxSize)), length: n, flags: 0 });
      length += n;
    }
    for (let k = segments.length - 1; k > 0; k--) {
      if (!rng.bool(0.7)) continue; // partly shuffled: runs stay in order, as on a real network
      const j = rng.int(k + 1);
      [segments[k], segments[j]] = [segments[j], segments[k]];
    }
    if (rng.bool(0.5)) segments.push({ offset: length, length: 0, flags: FIN });
    const options = {
      limits: {
        maxBufferedBytesPerDirection: rng.pick([100, 65_536, 4 * 1024 * 1024]),
        maxBufferedBytesTotal: rng.pick([1000, 32 * 1024 * 1024]),
      },
    } as FuzzInput['options'];
    return { label: `${segments.length} segments of up to ${maxSize} octets over ${length}`, kind: 'tcp', bytes: encode({ length, segments }), options };
  },
  check(input: FuzzInput): void {
    const plan = decode(input.bytes);
    const limits = (input.options?.limits ?? {}) as { maxBufferedBytesPerDirection?: number; maxBufferedBytesTotal?: number };
    let pos = 0;
    let lost = 0;
    let unknownLoss = false;
    const handler: ConnectionHandler = {
      data: (_d, bytes) => {
        for (let k = 0; k < bytes.length; k++) {
          if (bytes[k] !== octet(pos + k)) throw new FuzzFailure(`octet ${pos + k} delivered as ${bytes[k]}, expected ${octet(pos + k)}`);
        }
        pos += bytes.length;
      },
      gap: (_d, n) => {
        if (n < 0) unknownLoss = true;
        else {
          lost += n;
          pos += n;
        }
      },
      close: () => undefined,
    };
    const asm = new Assembler(() => handler, limits);
    asm.segment(seg({ seq: ISN - 1, flags: SYN }));
    asm.segment(rev({ seq: 77, ack: ISN, flags: SYN | ACK }));
    for (const s of plan.segments) {
      const data = new Uint8Array(s.length);
      for (let k = 0; k < s.length; k++) data[k] = octet(s.offset + k);
      asm.segment(seg({ seq: (ISN + s.offset) >>> 0, ack: 78, flags: ACK | s.flags, data }));
      const perDirection = limits.maxBufferedBytesPerDirection ?? 4 * 1024 * 1024;
      if (asm.bufferedBytes > Math.max(perDirection, 0) + 1000) throw new FuzzFailure(`${asm.bufferedBytes} octets buffered, over the limit ${perDirection}`);
    }
    asm.flush();
    if (asm.bufferedBytes !== 0) throw new FuzzFailure(`${asm.bufferedBytes} octets still buffered after flush`);
    if (!unknownLoss && pos > plan.length) throw new FuzzFailure(`delivered and lost octets reach ${pos}, past the stream's ${plan.length}`);
    if (lost < 0) throw new FuzzFailure('negative loss');
  },
};
