import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/input/open';

/**
 * Every sample capture (samples/READY lists them) reads as Wireshark reads it: the same number of packets,
 * the same frame numbers and the same frame.time_epoch to the nanosecond (test/golden/*.packets.tsv, written
 * by tshark 4.0.17).
 */
const root = join(__dirname, '../..');
const ready = join(root, 'samples/READY');
const names = existsSync(ready) ? readFileSync(ready, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean) : [];

test('samples/READY lists the sample captures', () => {
  assert.ok(names.length > 0, 'samples/READY is missing or empty');
});

for (const name of names) {
  test(`${name}: packet count, frame numbers and timestamps agree with tshark`, async () => {
    const golden = readFileSync(join(root, 'test/golden', `${name}.packets.tsv`), 'utf8').split('\n');
    const header = golden[0].split('\t');
    const num = header.indexOf('frame.number');
    const epoch = header.indexOf('frame.time_epoch');
    assert.ok(num >= 0 && epoch >= 0, 'golden file has frame.number and frame.time_epoch');
    const want = golden
      .slice(1)
      .filter((l) => l.length > 0)
      .map((l) => {
        const f = l.split('\t');
        return `${f[num]} ${f[epoch]}`;
      });
    const got: string[] = [];
    const result = await readCapture(join(root, 'samples', name), {
      packet: (p) => void got.push(`${p.number} ${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`),
    });
    assert.equal(result.packets, want.length);
    assert.deepEqual(got, want);
  });
}
