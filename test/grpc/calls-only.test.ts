import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, type PipelineOptions } from '../../src/pipeline';
import { DEFAULT_LIMITS } from '../../src/limits';
import { MessageDeframer, type DeframedMessage } from '../../src/grpc/deframer';
import type { CallRecord } from '../../src/records/types';

const SAMPLES = path.resolve(__dirname, '..', '..', 'samples');

function options(callsOnly: boolean): PipelineOptions {
  return {
    schema: { protoPaths: [path.join(SAMPLES, 'protos')], protoFiles: [], descriptorSets: [] },
    http2Ports: [],
    protoNames: false,
    frames: false,
    limits: { ...DEFAULT_LIMITS },
    quiet: true,
    callsOnly,
  };
}

async function decode(file: string, callsOnly: boolean): Promise<{ calls: CallRecord[]; messages: number; summaryMessages: number }> {
  const calls: CallRecord[] = [];
  let messages = 0;
  let summaryMessages = -1;
  try {
    const summary = await readRecords(file, { message: () => messages++, call: (c) => calls.push(c) }, options(callsOnly));
    summaryMessages = summary.messages;
  } catch (e) {
    if (!/InputError/.test((e as Error).constructor.name)) throw e;
  }
  return { calls, messages, summaryMessages };
}

test('callsOnly: no message records, and call records identical to a full decode (counts and bytes included)', async () => {
  const files = fs.readdirSync(SAMPLES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f));
  assert.ok(files.length > 5);
  for (const f of files) {
    const file = path.join(SAMPLES, f);
    const full = await decode(file, false);
    const only = await decode(file, true);
    assert.equal(only.messages, 0, f);
    assert.deepEqual(only.calls, full.calls, f);
    if (full.summaryMessages >= 0 && full.calls.every((c) => c.complete)) {
      // The summary still counts messages, from the call records.
      assert.equal(only.summaryMessages, full.summaryMessages, f);
    }
  }
});

test('a deframer that does not keep bytes counts the same messages, split anywhere, and buffers nothing', () => {
  const payloads = [Buffer.from('abc'), Buffer.alloc(0), Buffer.alloc(70_000, 7)];
  const stream = Buffer.concat(payloads.map((p) => Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), p])).map((b, i) => {
    b.writeUInt32BE(payloads[i].length, 1);
    return b;
  }));
  for (const step of [1, 3, 4096, stream.length]) {
    const got: Array<[number, boolean]> = [];
    const d = new MessageDeframer(1 << 20, false);
    for (let i = 0; i < stream.length; i += step) {
      d.push(stream.subarray(i, i + step), (m: DeframedMessage) => got.push([m.length, m.bytes === null]));
      const p = d.pending();
      if (p) assert.ok(p.received <= p.length || p.length < 0);
    }
    assert.deepEqual(got, [[3, true], [0, true], [70_000, true]], `step ${step}`);
    assert.equal(d.pending(), null);
  }
});
