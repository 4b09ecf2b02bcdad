import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Http1Parser, MAX_HEAD_BYTES, type BodyFraming, type MessageHead } from '../../src/http1/parser';

/** Feeds `text` split at `cuts` and returns the events as strings. */
function parse(text: string | Buffer, cuts: number[] = [], framing?: (h: MessageHead) => BodyFraming): string[] {
  const out: string[] = [];
  const p = new Http1Parser({
    head: (h) => {
      out.push(`head ${h.method ?? h.status} ${h.target ?? ''} ${h.fields.map((f) => f.join('=')).join(',')}`);
      if (framing) return framing(h);
      const te = h.fields.find((f) => f[0] === 'transfer-encoding');
      const cl = h.fields.find((f) => f[0] === 'content-length');
      if (te) return { kind: 'chunked' };
      if (cl) return { kind: 'length', length: Number(cl[1]) };
      return h.status !== undefined ? { kind: 'close' } : { kind: 'none' };
    },
    body: (b) => {
      const last = out[out.length - 1];
      if (last?.startsWith('body ')) out[out.length - 1] = last + Buffer.from(b).toString('latin1');
      else out.push('body ' + Buffer.from(b).toString('latin1'));
    },
    trailers: (f) => out.push(`trailers ${f.map((x) => x.join('=')).join(',')}`),
    end: () => out.push('end'),
    error: (r) => out.push(`error ${r}`),
  });
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  let from = 0;
  for (const c of [...cuts, buf.length]) {
    p.push(buf.subarray(from, c));
    from = c;
  }
  p.end();
  return out;
}

const PIPELINED =
  'POST /a.B/C HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
  'POST /a.B/D HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nGrpc-Status: 0\r\nX-T: y\r\n\r\n' +
  'GET /x HTTP/1.1\r\n\r\n';

const EXPECTED = [
  'head POST /a.B/C host=x,content-length=5',
  'body hello',
  'end',
  'head POST /a.B/D transfer-encoding=chunked',
  'body abcde',
  'trailers grpc-status=0,x-t=y',
  'end',
  'head GET /x ',
  'end',
];

test('pipelined requests: Content-Length, chunked with extensions and trailers, no body', () => {
  assert.deepEqual(parse(PIPELINED), EXPECTED);
});

test('the same bytes split at every offset give the same messages', () => {
  for (let i = 1; i < PIPELINED.length; i++) assert.deepEqual(parse(PIPELINED, [i]), EXPECTED, `split at ${i}`);
});

test('a response read until the connection closes ends with it', () => {
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it'), ['head 200  content-type=text/plain', 'body all of it', 'end']);
});

test('interim responses are messages of their own (the layer above passes over 1xx)', () => {
  const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const out = parse(text, [], (h) => (h.status === 100 ? { kind: 'none' } : { kind: 'length', length: 2 }));
  assert.deepEqual(out, ['head 100  ', 'end', 'head 200  content-length=2', 'body ok', 'end']);
});

test('bad input stops the direction with a reason: bad start line, bad chunk size, oversized head, cut message', () => {
  assert.match(parse('\x16\x03\x01 not http\r\n\r\n').at(-1)!, /^error not an HTTP\/1.x start line/);
  assert.match(parse('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n').at(-1)!, /^error invalid chunk size "zz"/);
  assert.equal(parse('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(MAX_HEAD_BYTES) + '\r\n\r\n').at(-1), `error message head over ${MAX_HEAD_BYTES} bytes`);
  assert.equal(parse('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc').at(-1), 'error message cut short by the end of the connection');
});
