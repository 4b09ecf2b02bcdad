/**
 * Target "ndjson": what `stats`, `export` and `decode` read when given `grpctk decode -F ndjson` output —
 * that output (decoded from the samples once) with lines broken at the text level (cut, bytes flipped into
 * invalid UTF-8, BOM, CRLF, blank lines, a megabyte-long line) and at the JSON level (fields removed, of
 * another type, null, huge numbers, records of another type, bodies nested 10,000 deep, header objects
 * holding objects). Pushed in random chunks through the RecordReader, in both modes:
 *  - 'stop': only InputError may come out;
 *  - 'skip': nothing may come out; and every record delivered is then fed, as the CLI feeds it, to
 *    decode's NDJSON writer, to the stats tap (every grouping, all three report formats) and to export
 *    (CSV, NDJSON, JSON; calls and messages): none of them may throw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { InputError } from '../../../../src/errors';
import { RecordReader } from '../../../../src/records/reader';
import { recordLine } from '../../../../src/output/ndjson';
import { GROUP_BY, renderStats, StatsTap } from '../../../../src/stats';
import { RecordExporter } from '../../../../src/cli/export';
import type { CallRecord, MessageRecord } from '../../../../src/records/types';
import { decodeCore, FuzzFailure, SAMPLES } from '../core';
import { Rng } from '../rng';
import type { FuzzInput, Target } from '../target';

let pool: string[] | undefined;

/** Lines of decode's NDJSON for a few samples (frames included), computed once. */
function lines(): string[] {
  if (pool) return pool;
  pool = [];
  for (const name of ['grpcjs-basic.pcapng.gz', 'grpcio-basic.pcapng', 'hostile.pcapng', 'mixed.pcapng']) {
    const file = path.join(SAMPLES, name);
    if (!fs.existsSync(file)) continue;
    let bytes: Uint8Array = fs.readFileSync(file);
    if (name.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
    pool.push(...decodeCore(bytes, { frames: true }, true).lines.map((l) => l.replace(/\n$/, '')));
  }
  return pool;
}

/** JSON text spliced into a line as is: values too deep for JSON.stringify (which recurses) to write. */
class RawJson {
  constructor(readonly text: string) {}
}

function deep(depth: number, rng: Rng): RawJson {
  return new RawJson(rng.bool() ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

const RAW_MARK = '\u0000raw\u0000';

function stringify(rec: Record<string, unknown>): string {
  let raw: RawJson | undefined;
  for (const k of Object.keys(rec)) {
    if (rec[k] instanceof RawJson) {
      raw = rec[k] as RawJson;
      rec[k] = RAW_MARK;
    }
  }
  const text = JSON.stringify(rec);
  return raw ? text.replace(JSON.stringify(RAW_MARK), raw.text) : text;
}

function oddValue(rng: Rng): unknown {
  switch (rng.int(14)) {
    case 0: return null;
    case 1: return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2]);
    case 2: return rng.pick(['', 'x', '\u0000', '\ud800', '=cmd|"/c calc"!A1', '\u001b[2J']);
    case 3: return rng.bool();
    case 4: return [];
    case 5: return {};
    case 6: return [1, 'two', null, { three: 3 }];
    case 7: return { 'user-agent': { nested: true }, ':path': ['a'] };
    case 8: return deep(rng.pick([100, 5000, 20_000]), rng);
    case 9: return 'x'.repeat(rng.pick([1000, 1 << 20]));
    case 10: return rng.pick(['2026-13-45T99:99:99Z', '1970-01-01T00:00:00.000000000Z', 'not a time', '9999-12-31T23:59:59.999999999Z']);
    case 11: return rng.pick(['message', 'call', 'frame', 'Call', 'stats', '']);
    case 12: return { toString: 1, __proto__: 2, constructor: 'x' };
    default: return rng.int(2 ** 31);
  }
}

function mutateJson(line: string, rng: Rng): string {
  const rec = JSON.parse(line) as Record<string, unknown>;
  const keys = Object.keys(rec);
  const k = rng.pick(keys);
  switch (rng.int(6)) {
    case 0:
      delete rec[k];
      break;
    case 1:
      rec.type = rng.pick(['message', 'call', 'frame', 'packet', 7, null]);
      break;
    case 2:
      rec[rng.pick(['body', 'status_details', 'request_headers', 'trailers', 'errors'])] = oddValue(rng);
      break;
    default:
      rec[k] = oddValue(rng);
  }
  return stringify(rec);
}

function mutateText(line: string, rng: Rng): string {
  switch (rng.int(7)) {
    case 0: return line.slice(0, rng.int(line.length));
    case 1: {
      const at = rng.int(line.length);
      return line.slice(0, at) + rng.pick(['"', '}', '\\', '\u0000', '\n', ',', '\\u', '\ud83d']) + line.slice(at);
    }
    case 2: return rng.pick(['', '   ', '\r', 'null', '[]', '42', '"text"', '{}', '{"type":"call"}', '\ufeff' + line]);
    case 3: return rng.pick(['not json at all', 'PRI * HTTP/2.0', '\u0089PNG', '{"a":' + '['.repeat(200_000)]);
    case 4: return `[${line}]`;
    case 5: return line + rng.pick([',', ' {}', '}']);
    default: return line.replace(/"[a-z_]+":/, '"x":');
  }
}

export const target: Target = {
  name: 'ndjson',
  longIterations: 1200,
  quickIterations: 120,
  generate(seed: number, i: number): FuzzInput {
    const rng = Rng.for(seed, i);
    const all = lines();
    const n = rng.range(1, 12);
    const out: string[] = [];
    const steps: string[] = [];
    for (let k = 0; k < n; k++) {
      let line = rng.pick(all);
      const r = rng.int(10);
      if (r < 4) {
        line = mutateJson(line, rng);
        steps.push('json');
      } else if (r < 7) {
        line = mutateText(line, rng);
        steps.push('text');
      } else steps.push('ok');
      out.push(line);
    }
    const sep = rng.pick(['\n', '\n', '\r\n', '\n\n']);
    let bytes = Buffer.from(out.join(sep) + (rng.bool(0.8) ? sep : ''), 'utf8');
    if (rng.bool(0.1)) {
      // Invalid UTF-8 somewhere.
      bytes = Buffer.from(bytes);
      bytes[rng.int(bytes.length)] = rng.pick([0xff, 0xc0, 0x80, 0xed]);
    }
    return { label: `${n} line(s): ${steps.join(',')}`, kind: 'ndjson', bytes, options: { chunkSeed: rng.u32() } };
  },
  check(input: FuzzInput): void {
    const chunks = chunk(input.bytes, input.options?.chunkSeed ?? 0);
    // 'stop': the first bad line ends the input with an InputError, and nothing else may be thrown.
    try {
      const reader = new RecordReader({ message: () => undefined, call: () => undefined, frame: () => undefined });
      for (const c of chunks) reader.push(c);
      reader.end();
    } catch (e) {
      if (!(e instanceof InputError)) throw new FuzzFailure(`RecordReader (stop) threw ${(e as Error).stack ?? String(e)}`, e);
      if (/[\r\n]/.test(e.message) || e.message.length > 500) throw new FuzzFailure(`InputError is not one short line: ${JSON.stringify(e.message.slice(0, 200))}`);
    }
    // 'skip': every good record, through every consumer.
    const calls: CallRecord[] = [];
    const messages: MessageRecord[] = [];
    try {
      const reader = new RecordReader({ message: (m) => messages.push(m), call: (c) => calls.push(c), frame: () => undefined }, { onError: 'skip' });
      for (const c of chunks) reader.push(c);
      reader.end();
    } catch (e) {
      throw new FuzzFailure(`RecordReader (skip) threw ${(e as Error).stack ?? String(e)}`, e);
    }
    consume('decode -F ndjson', () => {
      for (const r of [...messages, ...calls]) recordLine(r);
    });
    // Two groupings per input (drawing tables is the slow part), picked by the input's own seed.
    const groupings = [...GROUP_BY.map((g) => [g]), ['method', 'status'], []] as Array<Array<(typeof GROUP_BY)[number]>>;
    const pick = new Rng((input.options?.chunkSeed ?? 0) ^ 0x5a5a);
    for (const by of [pick.pick(groupings), pick.pick(groupings)]) {
      consume(`stats --by ${by.join(',') || '(none)'}`, () => {
        const tap = new StatsTap({ by, intervalMs: 1000 });
        for (const m of messages) tap.message(m);
        for (const c of calls) tap.call(c);
        const result = tap.result();
        for (const format of ['table', 'json', 'csv'] as const) renderStats(result, format);
      });
    }
    for (const format of ['csv', 'ndjson', 'json'] as const) {
      for (const records of ['calls', 'messages'] as const) {
        consume(`export -F ${format} --records ${records}`, () => {
          const ex = new RecordExporter(() => undefined, { format, records });
          for (const m of messages) ex.message(m);
          for (const c of calls) ex.call(c);
          ex.end();
        });
      }
    }
  },
};

function consume(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return;
    throw new FuzzFailure(`${what} threw on records the reader accepted: ${(e as Error).stack ?? String(e)}`, e);
  }
}

function chunk(bytes: Uint8Array, seed: number): Uint8Array[] {
  const rng = new Rng(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(bytes.length - at, rng.pick([1, 2, 3, 64, 4096, 1 << 20]));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}
