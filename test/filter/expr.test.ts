import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors';
import { compileDisplayFilter } from '../../src/filter/expr';
import { makeCall, makeMessage } from '../records/make';

const call = makeCall({
  status: 5,
  status_name: 'NOT_FOUND',
  duration_ms: 150,
  grpc_message: 'no such thing',
  request_headers: { ':path': '/helloworld.Greeter/SayHello', 'user-agent': 'grpc-python/1.51.1 grpc-c/29.0.0' },
  errors: ['HPACK: dynamic table index 67 is not known'],
});
const match = (expr: string, record: object = call, fallback?: object) => compileDisplayFilter(expr).match(record, fallback);

test("-Y: the issue's example, Wireshark's operators and both spellings of and/or/not", () => {
  assert.equal(match('status != 0 && duration_ms > 100 && request_headers["user-agent"] contains "python"'), true);
  assert.equal(match('status != 0 and duration_ms > 200'), false);
  assert.equal(match('status == 0 || duration_ms >= 150'), true);
  assert.equal(match('not status == 0'), true);
  assert.equal(match('!(status == 5)'), false);
  assert.equal(match('status eq 5 and duration_ms lt 151 and duration_ms le 150 and http_status ge 200 and http_status gt 199'), true);
  // and binds tighter than or.
  assert.equal(match('status == 0 && complete == false || duration_ms > 1'), true);
  assert.equal(match('status == 0 && (complete == false || duration_ms > 1)'), false);
  // A literal on the left reads the other way round.
  assert.equal(match('100 < duration_ms'), true);
});

test('-Y: contains, matches (case-insensitive unless (?-i)), in sets and ranges, names for status', () => {
  assert.equal(match('method contains "Greeter"'), true);
  assert.equal(match('method contains "greeter"'), false);
  assert.equal(match('method matches "greeter/say(hello|bye)$"'), true);
  assert.equal(match('method ~ "(?-i)greeter"'), false);
  assert.equal(match('status in {0 5}'), true);
  assert.equal(match('status in {0, 1}'), false);
  assert.equal(match('status in {3..6}'), true);
  assert.equal(match('status_name in {"OK" "NOT_FOUND"}'), true);
  assert.equal(match('status == NOT_FOUND'), true);
  assert.equal(match('status_name == NOT_FOUND'), true);
  assert.equal(match('errors contains "HPACK"'), true);
  assert.equal(match('server == 10.0.0.2:50051'), true);
  assert.equal(match('request_headers contains "python"'), true);
});

test('-Y: a field alone tests presence; comparisons with an absent field are false, as in Wireshark', () => {
  assert.equal(match('grpc_message'), true);
  assert.equal(match('reset'), false);
  assert.equal(match('errors'), true);
  assert.equal(match('errors', makeCall()), false);
  assert.equal(match('request_headers["x-missing"]'), false);
  assert.equal(match('request_headers.user-agent'), true);
  assert.equal(match('request_headers["User-Agent"] contains "python"'), true);
  const noStatus = makeCall({ status: null, status_name: null });
  assert.equal(match('status != 0', noStatus), false);
  assert.equal(match('!(status == 0)', noStatus), true);
  // Fields only messages have are absent on a call.
  assert.equal(match('length > 1'), false);
});

test('-Y: times compare as times, booleans, bodies by path, call_id on both record kinds', () => {
  assert.equal(match('start >= "2026-11-21T03:39:12Z" && start < 2026-11-21T03:39:13Z'), true);
  assert.equal(match('start > 1795232352.5'), false);
  assert.equal(match('complete == true'), true);
  assert.equal(match('call_id == "0/1"'), true);
  const msg = makeMessage({ body: { name: 'world', count: '9007199254740993', items: [{ id: 3 }] } });
  assert.equal(match('body.name == "world"', msg), true);
  assert.equal(match('body.count > 5', msg), true);
  assert.equal(match('body.items[0].id == 3', msg), true);
  assert.equal(match('body contains "wor"', msg), true);
  assert.equal(match('call_id == "0/1" && direction == "request"', msg), true);
  // NDJSON written before call_id existed: it is tcp_stream/stream.
  const old: Record<string, unknown> = { ...msg };
  delete old.call_id;
  assert.equal(match('call_id == "0/1"', old), true);
});

test('-Y: a message takes the fields it lacks from its call', () => {
  const f = compileDisplayFilter('status == 5 && direction == "request"');
  assert.equal(f.needsCall, true);
  assert.equal(f.messageOnly, 'direction');
  assert.equal(f.match(makeMessage()), false);
  assert.equal(f.match(makeMessage(), call), true);
  assert.equal(f.match(makeMessage({ direction: 'response' }), call), false);
  assert.equal(compileDisplayFilter('method contains "Say"').needsCall, false);
});

test('-Y: mistakes are one line naming the column', () => {
  const cases: Array<[string, RegExp]> = [
    ['stauts == 0', /^-Y: unknown field "stauts" \(did you mean status\?.* at column 1 of "stauts == 0"$/],
    ['status == 0 &&', /expected a field at column 15/],
    ['status = 0', /use == to compare at column 8/],
    ['status == abc', /status is a number, not "abc" .* at column 11/],
    ['method matches "(["', /bad regular expression: .* at column 16/],
    ['(status == 0', /expected "\)" to close the "\(" at column 1, found the end of the filter at column 13/],
    ["method == 'x'", /strings are written in double quotes .* at column 11/],
    ['request_headers == "x"', /request_headers is an object: name a header, e.g. request_headers\["user-agent"\] at column 1/],
    ['status == 0 status == 1', /unexpected "status" \(expected "&&", "\|\|" or the end.* at column 13/],
    ['', /empty filter at column 1/],
    ['status in {}', /empty set at column 11/],
    ['"x"', /"x" is not a field .* at column 1/],
    ['duration_ms.x == 1', /duration_ms is a number: it has no parts to select at column 1/],
    ['status == "unterminated', /unterminated string at column 11/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => compileDisplayFilter(text), (e: unknown) => {
      assert.ok(e instanceof UsageError, text);
      assert.equal(e.message.includes('\n'), false);
      assert.match(e.message, re, text);
      return true;
    });
  }
});

test('-Y: captured values are data: no prototype lookups, no code', () => {
  const msg = makeMessage({ body: { a: 1 } });
  assert.equal(match('body.constructor', msg), false);
  assert.equal(match('body["__proto__"]', msg), false);
  assert.equal(match('request_headers["toString"] contains "function"'), false);
});
