/**
 * The text views of `grpctk decode` as a user sees them: one line per call by default, the full block in
 * the wire's order with -V, long values cut unless --full, Trailers-Only responses shown once; and the
 * progress line, which never mixes with the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { golden, grpctk, GOLDEN, ndjson, PROTOS, SAMPLES } from '../cli/helpers';
import { Progress } from '../../src/output/progress';
import { cutValue, prettyJson } from '../../src/output/text';

const BASIC = path.join(SAMPLES, 'grpcjs-basic.pcapng');

/** frame.time_epoch of the capture's first packet, from tshark's golden file, as [seconds, nanoseconds]. */
function firstPacketTime(sample: string): [number, number] {
  const row = fs.readFileSync(path.join(GOLDEN, `${sample}.packets.tsv`), 'utf8').split('\n')[1].split('\t');
  const [s, ns] = row[1].split('.');
  return [Number(s), Number(ns.padEnd(9, '0'))];
}

test('default text view: one line per call, with time, relative time, duration, ends, method, status, messages and bytes each way', () => {
  const run = grpctk(['decode', '-I', PROTOS, BASIC]);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines.length, golden('grpcjs-basic.pcapng').calls.length, 'one line per call, nothing else');
  const calls = ndjson(grpctk(['decode', '-F', 'ndjson', '-I', PROTOS, BASIC]).stdout).filter((r) => r.type === 'call');
  const [s0, n0] = firstPacketTime('grpcjs-basic.pcapng');
  lines.forEach((line, i) => {
    const c = calls[i];
    const rel = Date.parse(c.start.slice(0, 19) + 'Z') / 1000 - s0 + (Number(c.start.slice(20, 29)) - n0) / 1e9;
    const fields = line.split(/ +/);
    assert.equal(fields[0], c.start, line);
    // Seconds since the capture's first packet, as tshark's frame.time_relative.
    assert.ok(Math.abs(Number(fields[1]) - rel) < 2e-6, `${line}: relative ${fields[1]}, expected ${rel}`);
    assert.ok(line.includes(`${c.client} → ${c.server}  ${c.call_id}  `), `${line}: the call's id, for --call`);
    assert.ok(line.includes(`  ${c.method}  `), line);
    if (c.status !== null) assert.ok(line.includes(c.status === 0 ? '  OK  ' : `${c.status_name} (${c.status})`), line);
    else assert.ok(line.includes(c.reset !== null ? `RST_STREAM ${c.reset}` : 'no status'), line);
    const m = (n: number) => `${n} msg${n === 1 ? '' : 's'}`;
    assert.ok(line.includes(`→ ${m(c.request_messages)} ${c.request_bytes.toLocaleString('en-US')} B, ← ${m(c.response_messages)} ${c.response_bytes.toLocaleString('en-US')} B`), line);
  });
  assert.ok(lines.every((l) => [...l].length < 250), 'no line runs away: a 100 KB message is a count, not a dump');
});

test('-V: the full block of each call in the wire order, each message with its time from the call start', () => {
  for (const flag of ['-V', '--verbose']) {
    const run = grpctk(['decode', flag, '-I', PROTOS, BASIC]);
    assert.equal(run.status, 0, run.stderr);
    const blocks = run.stdout.trimEnd().split('\n\n');
    assert.equal(blocks.length, golden('grpcjs-basic.pcapng').calls.length);
    // A bidi call: its request and response messages interleave in time; shown request side first.
    const bidi = blocks.find((b) => b.startsWith('/grpctk.demo.Demo/Bidi'))!;
    const at = (s: string) => {
      const i = bidi.indexOf(s);
      assert.ok(i >= 0, `${s} in:\n${bidi}`);
      return i;
    };
    const order = [at('  request headers:'), at('→ request #0'), at('→ request #2'), at('  response headers:'), at('← response #0'), at('← response #2'), at('  trailers:')];
    assert.deepEqual([...order].sort((a, b) => a - b), order, bidi);
    const times = [...bidi.matchAll(/· frame \d+ · \+([\d.]+) (µs|ms|s)$/gm)];
    assert.equal(times.length, 6, bidi);
    assert.match(bidi, /→ request #0 \S+ \(\d+ bytes\) · frame \d+ · \+\d+ µs$/m);
  }
});

test('a Trailers-Only response is shown once, as such, in the text view and in NDJSON', () => {
  const text = grpctk(['decode', '-V', '-I', PROTOS, BASIC]).stdout.split('\n\n').find((b) => b.includes('NOT_FOUND (5)'))!;
  assert.match(text, /  trailers-only response:\n    :status: 200\n    grpc-status: 5\n/);
  assert.doesNotMatch(text, /response headers:/);
  assert.doesNotMatch(text, /  trailers:/);
  const calls = ndjson(grpctk(['decode', '-F', 'ndjson', BASIC]).stdout).filter((r) => r.type === 'call');
  const only = calls.filter((c) => c.trailers_only === true);
  assert.ok(only.length >= 1);
  for (const c of only) {
    assert.deepEqual(c.response_headers, {});
    assert.equal(c.trailers[':status'], '200');
    assert.ok(c.trailers['grpc-status'] !== undefined);
  }
  // Calls with headers and trailers apart do not carry the field.
  assert.ok(calls.some((c) => c.trailers_only === undefined && Object.keys(c.response_headers).length > 0));
});

test('long values are cut in the text view with … and their full length; --full shows them whole', () => {
  const cut = grpctk(['decode', '-V', '-I', PROTOS, BASIC]);
  const long = cut.stdout.split('\n').filter((l) => l.includes('… ('));
  assert.ok(long.length > 0, 'the 100 KB message has cut strings');
  for (const l of long) {
    assert.match(l, /… \(\d{1,3}(,\d{3})* chars\)",?$/, l);
    assert.ok(l.length < 300, `${l.length} characters`);
  }
  assert.ok(cut.stdout.split('\n').every((l) => l.length < 400), 'no line of the view is longer than a few hundred characters');
  const full = grpctk(['decode', '-V', '--full', '-I', PROTOS, BASIC]);
  assert.ok(!full.stdout.includes('… ('), 'nothing cut with --full');
  assert.ok(full.stdout.split('\n').some((l) => l.length > 100_000), 'the whole 100 KB value is there');
});

test('cutValue and prettyJson: cut at a code point boundary, the shape of the JSON kept', () => {
  assert.equal(cutValue('abc', 3), 'abc');
  assert.equal(cutValue('abcdef', 3), 'abc… (6 chars)');
  assert.equal(cutValue('ab\u{1F600}cd', 3), 'ab… (6 chars)', 'a surrogate pair is not split');
  assert.equal(prettyJson({ a: ['x'.repeat(10), 1], b: {} }, 4, ''), '{\n  "a": [\n    "xxxx… (10 chars)",\n    1\n  ],\n  "b": {}\n}');
  assert.equal(prettyJson({ a: [1, { b: null }] }, Infinity, ''), JSON.stringify({ a: [1, { b: null }] }, null, 2));
});

test('-V is verbose, not the version: the version is on --version only', () => {
  const v = grpctk(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const short = grpctk(['-V']);
  assert.equal(short.status, 2, 'not an option of grpctk itself');
  assert.match(short.stderr, /^grpctk: unknown option '-V'/);
});

test('progress: the line is erased before output goes to the terminal, and drawn again after', () => {
  const written: string[] = [];
  const fake = { write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const p = new Progress(true, 1000, fake);
  p.update(500, 10, 2);
  assert.match(written.at(-1)!, /^\r\x1b\[K0\.0 MB of 0\.0 MB \(50%\)/);
  Progress.clearForOutput();
  assert.equal(written.at(-1), '\r\x1b[K', 'cleared before the output');
  const count = written.length;
  Progress.clearForOutput();
  assert.equal(written.length, count, 'nothing to clear twice');
  p.done();
});

test('progress is never drawn when stdout is a pipe, even on a terminal', () => {
  assert.equal(Progress.wanted({ quiet: false, stderrIsTTY: true, stdoutIsPipe: true }), false);
  assert.equal(Progress.wanted({ quiet: false, stderrIsTTY: true, stdoutIsPipe: false }), true);
  assert.equal(Progress.wanted({ quiet: true, stderrIsTTY: true, stdoutIsPipe: false }), false);
  assert.equal(Progress.wanted({ quiet: false, stderrIsTTY: false, stdoutIsPipe: false }), false);
});
