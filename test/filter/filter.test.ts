import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { UsageError } from '../../src/errors';
import { addFilterOptions, filterFromOptions, joinMessagesWithCalls } from '../../src/filter/index';
import { collector, makeCall, makeMessage } from '../records/make';

function parse(args: string[]) {
  const cmd = addFilterOptions(new Command('t').exitOverride());
  cmd.parse(args, { from: 'user' });
  return filterFromOptions(cmd.opts());
}

test('no flags: everything matches and the filter says it is inactive', () => {
  const f = parse([]);
  assert.equal(f.active, false);
  assert.equal(f.matchCall(makeCall()), true);
  assert.equal(f.matchMessage(makeMessage()), true);
});

test('--method globs match the full path, repeatable, leading slash implied', () => {
  const f = parse(['--method', '/helloworld.Greeter/*', '--method', '*Get']);
  assert.equal(f.matchCall(makeCall()), true);
  assert.equal(f.matchCall(makeCall({ method: '/kv.Store/Get' })), true);
  assert.equal(f.matchCall(makeCall({ method: '/kv.Store/Put' })), false);
  assert.equal(parse(['--method', 'helloworld.Greeter/Say?ello']).matchMessage(makeMessage()), true);
  assert.equal(parse(['--method', 'helloworld.Greeter']).matchMessage(makeMessage()), false);
  // Regular-expression characters are literal.
  assert.equal(parse(['--method', '/helloworld.Greeter/Say.*']).matchCall(makeCall()), false);
});

test('--host matches either end, with or without port; IPv6 compared canonically', () => {
  assert.equal(parse(['--host', '10.0.0.2']).matchCall(makeCall()), true);
  assert.equal(parse(['--host', '10.0.0.1:40000']).matchCall(makeCall()), true);
  assert.equal(parse(['--host', '10.0.0.1:50051']).matchCall(makeCall()), false);
  assert.equal(parse(['--host', '10.0.0.9,10.0.0.2:50051']).matchCall(makeCall()), true);
  const v6 = makeCall({ client: '[2001:db8::1]:40000', server: '[2001:db8::2]:443' });
  assert.equal(parse(['--host', '2001:DB8:0::2']).matchCall(v6), true);
  assert.equal(parse(['--host', '[2001:db8::2]:443']).matchCall(v6), true);
  assert.equal(parse(['--host', '[2001:db8::2]:444']).matchCall(v6), false);
  assert.equal(parse(['--host', '10.0.0.2']).matchConnection('10.0.0.7:1', '10.0.0.2:80'), true);
});

test('--port matches either end', () => {
  assert.equal(parse(['--port', '50051']).matchCall(makeCall()), true);
  assert.equal(parse(['--port', '40000']).matchMessage(makeMessage()), true);
  assert.equal(parse(['--port', '80,443']).matchCall(makeCall()), false);
  assert.equal(parse(['--port', '80', '--port', '50051']).matchCall(makeCall()), true);
});

test('--status: names, numbers, NONE and negation', () => {
  const ok = makeCall();
  const unavailable = makeCall({ status: 14, status_name: 'UNAVAILABLE' });
  const none = makeCall({ status: null, status_name: null, complete: false });
  const notOk = parse(['--status', '!OK']);
  assert.deepEqual([ok, unavailable, none].map((c) => notOk.matchCall(c)), [false, true, true]);
  const list = parse(['--status', 'unavailable,4']);
  assert.deepEqual([ok, unavailable, makeCall({ status: 4, status_name: 'DEADLINE_EXCEEDED' })].map((c) => list.matchCall(c)), [false, true, true]);
  assert.deepEqual([ok, unavailable, none].map((c) => parse(['--status', 'NONE']).matchCall(c)), [false, false, true]);
  assert.deepEqual([ok, unavailable, none].map((c) => parse(['--status', '!OK,!NONE']).matchCall(c)), [false, true, false]);
  // Status is not known for a message alone.
  assert.equal(notOk.matchMessage(makeMessage()), true);
});

test('--min-size/--max-size: message length, call message bytes, size suffixes', () => {
  assert.equal(parse(['--min-size', '8']).matchMessage(makeMessage()), false);
  assert.equal(parse(['--min-size', '7', '--max-size', '7']).matchMessage(makeMessage()), true);
  assert.equal(parse(['--min-size', '20']).matchCall(makeCall()), true); // 7 + 13
  assert.equal(parse(['--min-size', '21']).matchCall(makeCall()), false);
  assert.equal(parse(['--min-size', '1k']).matchMessage(makeMessage({ length: 1024 })), true);
  assert.equal(parse(['--min-size', '1KiB']).matchMessage(makeMessage({ length: 1023 })), false);
  assert.equal(parse(['--max-size', '1m']).matchMessage(makeMessage({ length: 1048577 })), false);
});

test('--since inclusive and --until exclusive, ISO-8601 or epoch seconds, offsets honoured', () => {
  const at = (ts: string) => makeMessage({ ts });
  const f = parse(['--since', '2026-11-21T03:39:12Z', '--until', '2026-11-21T04:39:13+01:00']);
  assert.equal(f.matchMessage(at('2026-11-21T03:39:11.999999999Z')), false);
  assert.equal(f.matchMessage(at('2026-11-21T03:39:12.000000000Z')), true);
  assert.equal(f.matchMessage(at('2026-11-21T03:39:12.999999Z')), true);
  assert.equal(f.matchMessage(at('2026-11-21T03:39:13.000000000Z')), false);
  const epoch = Date.UTC(2026, 10, 21, 3, 39, 12) / 1000;
  assert.equal(parse(['--since', String(epoch + 0.5)]).matchCall(makeCall({ start: '2026-11-21T03:39:12.400Z' })), false);
  assert.equal(parse(['--since', String(epoch + 0.5)]).matchCall(makeCall({ start: '2026-11-21T03:39:12.600Z' })), true);
  assert.equal(parse(['--until', '2026-11-21']).matchCall(makeCall()), false);
});

test('bad values are one-line usage errors naming the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--status', 'FINE'], /^--status: unknown status "FINE" \(expected a number or one of OK, CANCELLED/],
    [['--port', '70000'], /^--port: "70000" is not a port number/],
    [['--host', 'example.com'], /^--host: "example.com" is not ADDR or ADDR:PORT/],
    [['--host', '10.0.0.1:x'], /^--host: bad port/],
    [['--min-size', 'big'], /^--min-size: "big" is not a size/],
    [['--since', 'yesterday'], /^--since: "yesterday" is not a time/],
    [['--method', ''], /^--method: empty pattern/],
  ];
  for (const [args, re] of cases) {
    assert.throws(() => parse(args), (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'), args.join(' '));
  }
});

test('joinMessagesWithCalls passes messages of calls whose status matches, in order', () => {
  const f = parse(['--status', '!OK']);
  const sink = collector();
  const join = joinMessagesWithCalls(f, sink);
  join.message(makeMessage({ stream: 1 }));
  join.message(makeMessage({ stream: 3 }));
  join.message(makeMessage({ stream: 3, direction: 'response' }));
  join.call(makeCall({ stream: 1 }));
  join.call(makeCall({ stream: 3, status: 14, status_name: 'UNAVAILABLE' }));
  join.message(makeMessage({ stream: 5 }));
  assert.equal(join.end(), 1);
  assert.deepEqual(sink.got.map((g) => `${g.kind}:${(g.rec as { stream: number }).stream}`), ['message:3', 'message:3', 'call:3']);
});

test('joinMessagesWithCalls holds at most its limit, dropping the oldest', () => {
  const sink = collector();
  const join = joinMessagesWithCalls(parse(['--status', 'OK']), sink, 2);
  join.message(makeMessage({ stream: 1, index: 0 }));
  join.message(makeMessage({ stream: 1, index: 1 }));
  join.message(makeMessage({ stream: 3 }));
  assert.equal(join.dropped, 1);
  join.call(makeCall({ stream: 1 }));
  assert.deepEqual(sink.got.map((g) => (g.rec as { index?: number }).index ?? 'call'), [1, 'call']);
});

test('without --status messages pass straight through the join', () => {
  const sink = collector();
  const join = joinMessagesWithCalls(parse(['--port', '50051']), sink);
  join.message(makeMessage());
  join.message(makeMessage({ server: '10.0.0.2:80' }));
  assert.equal(sink.got.length, 1);
});

test('--min-duration/--max-duration judge calls by duration_ms; calls without an end never match', () => {
  const f = parse(['--min-duration', '10ms', '--max-duration', '1s']);
  assert.equal(f.needsCall, true);
  assert.equal(f.matchCall(makeCall({ duration_ms: 10 })), true);
  assert.equal(f.matchCall(makeCall({ duration_ms: 9.99 })), false);
  assert.equal(f.matchCall(makeCall({ duration_ms: 1000.5 })), false);
  assert.equal(f.matchCall(makeCall({ duration_ms: null, end: null })), false);
  assert.throws(() => parse(['--min-duration', 'soon']), /--min-duration/);
});

test('--call picks one call and its messages by call_id (TCP_STREAM/STREAM)', () => {
  const f = parse(['--call', '0/1', '--call', '2/5,3/7']);
  assert.equal(f.matchCall(makeCall()), true);
  assert.equal(f.matchMessage(makeMessage()), true);
  assert.equal(f.matchCall(makeCall({ tcp_stream: 2, stream: 5, call_id: '2/5' })), true);
  assert.equal(f.matchMessage(makeMessage({ stream: 3, call_id: '0/3' })), false);
  assert.throws(() => parse(['--call', '0:1']), (e: unknown) => e instanceof UsageError && /--call: "0:1" is not TCP_STREAM\/STREAM/.test(e.message));
});

test('-Y on call fields holds messages for their call; on message fields a call is kept when one of its messages matches', () => {
  const f = parse(['-Y', 'status != 0']);
  assert.equal(f.needsCall, true);
  const out = collector();
  const join = joinMessagesWithCalls(f, out);
  join.message(makeMessage());
  join.message(makeMessage({ stream: 3, call_id: '0/3' }));
  join.call(makeCall({ status: 5, status_name: 'NOT_FOUND' }));
  join.call(makeCall({ stream: 3, call_id: '0/3' }));
  assert.deepEqual(out.got.map((g) => [g.kind, (g.rec as { call_id: string }).call_id]), [['message', '0/1'], ['call', '0/1']]);

  const byDirection = parse(['--display-filter', 'direction == "response"']);
  const req = makeMessage();
  const resp = makeMessage({ direction: 'response' });
  assert.deepEqual(byDirection.matchGroup(makeCall(), [req, resp]), [resp]);
  assert.equal(byDirection.matchGroup(makeCall(), [req]), undefined);
  assert.deepEqual(parse(['-Y', 'status == 0']).matchGroup(makeCall(), [req, resp]), [req, resp]);
});

test('-Y on a message field is refused where only calls are read', () => {
  const cmd = addFilterOptions(new Command('t').exitOverride());
  cmd.parse(['-Y', 'length > 100'], { from: 'user' });
  assert.throws(() => filterFromOptions(cmd.opts(), { callsOnly: true }), /-Y: length is a field of message records/);
  assert.doesNotThrow(() => filterFromOptions(cmd.opts()));
});

test('a filter that matched nothing says what was there, with a hint for a bare method name', () => {
  const f = parse(['--method', 'Get']);
  f.matchCall(makeCall({ method: '/lab.v1.Inventory/Get' }));
  f.matchCall(makeCall({ method: '/lab.v1.Inventory/List' }));
  assert.equal(
    f.noMatchReport(),
    "no call matched --method Get (2 calls read); methods seen: /lab.v1.Inventory/Get, /lab.v1.Inventory/List; globs match the full path: try '*Get' or '*Get*'",
  );
  const s = parse(['-Y', 'status == 7 && duration_ms > 5']);
  s.matchCall(makeCall());
  assert.equal(s.noMatchReport(), "no call matched -Y 'status == 7 && duration_ms > 5' (1 call read); statuses seen: OK (1); durations seen: 10 ms to 10 ms");
  const ok = parse(['--method', '*SayHello']);
  ok.matchCall(makeCall());
  assert.equal(ok.noMatchReport(), null);
  assert.equal(parse([]).noMatchReport(), null);
});

test('messages held for their call count as matched only when their call lets them through', () => {
  const f = parse(['--status', 'PERMISSION_DENIED']);
  const join = joinMessagesWithCalls(f, collector());
  join.message(makeMessage());
  join.call(makeCall());
  assert.match(f.noMatchReport() ?? '', /^no call matched --status PERMISSION_DENIED \(1 call read\); statuses seen: OK \(1\)$/);
});
