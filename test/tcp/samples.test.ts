/**
 * The real captures of samples/ against tshark's view of them (test/golden/, made by tshark 4.0.17):
 * every packet's tcp.stream, and the bytes each connection carried each way (tshark: the sum of tcp.len
 * over packets that are not retransmissions; here: the bytes the assembler delivered).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/input/open';
import { PacketDecoder } from '../../src/net/decode';
import { Assembler } from '../../src/tcp/assembler';
import { formatEndpoint } from '../../src/tcp/types';

const ROOT = join(__dirname, '..', '..');
const SAMPLES = join(ROOT, 'samples');
const GOLDEN = join(ROOT, 'test', 'golden');

function tsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = head.split('\t');
  return rows.map((r) => {
    const cells = r.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
  });
}

const ready = existsSync(join(SAMPLES, 'READY'))
  ? readFileSync(join(SAMPLES, 'READY'), 'utf8').split('\n').filter((l) => l.trim().length > 0)
  : [];
const withGoldens = ready.filter(
  (name) => existsSync(join(GOLDEN, `${name}.packets.tsv`)) && existsSync(join(GOLDEN, `${name}.bytes.tsv`)),
);

test('samples with goldens exist', () => {
  assert.ok(withGoldens.length > 0, 'samples/READY lists captures with test/golden/<sample>.packets.tsv and .bytes.tsv');
});

for (const name of withGoldens) {
  test(`${name}: tcp.stream of every packet and bytes per connection and direction match tshark`, async () => {
    const decoder = new PacketDecoder();
    const bytes = new Map<string, number>();
    const lost: string[] = [];
    const assembler = new Assembler((conn) => {
      const from = conn.endpoints.map(formatEndpoint);
      return {
        data(dir, b) {
          const key = `${conn.index} ${from[dir]}`;
          bytes.set(key, (bytes.get(key) ?? 0) + b.length);
        },
        gap(dir, n) {
          lost.push(`tcp.stream ${conn.index} from ${from[dir]}: ${n} bytes`);
        },
        close() {},
      };
    });
    const streamOf = new Map<number, number>();
    await readCapture(join(SAMPLES, name), {
      packet(p) {
        const seg = decoder.decode(p);
        if (seg === undefined) return;
        const conn = assembler.segment(seg);
        if (conn !== undefined) streamOf.set(p.number, conn.index);
      },
    });
    assembler.flush();

    const packets = tsv(join(GOLDEN, `${name}.packets.tsv`));
    assert.ok(packets.length > 0);
    const wrong: string[] = [];
    for (const row of packets) {
      const frame = Number(row['frame.number']);
      const want = row['tcp.stream'] === '' ? undefined : Number(row['tcp.stream']);
      const got = streamOf.get(frame);
      if (got !== want) wrong.push(`frame ${frame}: tcp.stream ${want} expected, got ${got}`);
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} frames differ`);
    assert.equal(streamOf.size, packets.filter((r) => r['tcp.stream'] !== '').length);

    const want = new Map<string, number>();
    for (const row of tsv(join(GOLDEN, `${name}.bytes.tsv`))) want.set(`${row['tcp.stream']} ${row.src}`, Number(row.bytes));
    const got = new Map([...bytes].filter(([, n]) => n > 0));
    for (const [k, n] of want) if (n === 0) want.delete(k);
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...want].sort()));
    assert.deepEqual(lost, [], 'no bytes lost in these captures');
  });
}
