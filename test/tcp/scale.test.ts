/**
 * Reassembly cost grows as n log n in segments, whatever their order (issue: 60,000 one-octet holes before a
 * FIN took 37 s, 200,000 segments in random order 73 s, both quadratic). The bounds are hang guards, not
 * speed measures: a quadratic path at these counts takes minutes, the fixed one well under a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Assembler } from '../../src/tcp/assembler';
import type { ConnectionHandler } from '../../src/tcp/types';
import { ACK, FIN, SYN, rev, seg } from './helpers';

/** Counts what the handler is told, without keeping it. */
function counting(): { factory: () => ConnectionHandler; bytes: number; gaps: number; lost: number } {
  const r = {
    bytes: 0,
    gaps: 0,
    lost: 0,
    factory: (): ConnectionHandler => ({
      data: (_d, b) => void (r.bytes += b.length),
      gap: (_d, n) => {
        r.gaps++;
        r.lost += n;
      },
      close: () => undefined,
    }),
  };
  return r;
}

function start(asm: Assembler): void {
  asm.segment(seg({ seq: 1000, flags: SYN }));
  asm.segment(rev({ seq: 5000, ack: 1001, flags: SYN | ACK }));
  asm.segment(seg({ seq: 1001, ack: 5001, flags: ACK }));
}

const ONE = new Uint8Array([0x61]);

test('60,000 one-octet holes before a FIN are given up in linear time', () => {
  const r = counting();
  const asm = new Assembler(r.factory);
  start(asm);
  const n = 60_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) asm.segment(seg({ seq: 1002 + 2 * i, data: ONE }));
  asm.segment(seg({ seq: 1001 + 2 * n, flags: FIN | ACK }));
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.bytes, n);
  assert.equal(r.gaps, n);
  assert.equal(r.lost, n);
  assert.equal(asm.bufferedBytes, 0);
  assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
});

test('200,000 one-octet segments in random order: every byte delivered or counted lost, fast', () => {
  const r = counting();
  const asm = new Assembler(r.factory);
  start(asm);
  const n = 200_000;
  const order = Array.from({ length: n }, (_, i) => i);
  let x = 2463534242;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const t0 = performance.now();
  for (const i of order) asm.segment(seg({ seq: 1001 + i, data: ONE }));
  asm.flush();
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.bytes + r.lost, n, 'each byte delivered once or reported lost');
  assert.ok(r.gaps > 0, 'the 4 MiB per-direction limit gave up holes');
  assert.equal(asm.bufferedBytes, 0);
  assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
});
