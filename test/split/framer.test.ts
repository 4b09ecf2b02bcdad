/**
 * How `--by method` tells the packets inside one stream's frame from the ones a method part always needs:
 * DirectionFramer follows HTTP/2 framing (RFC 9113 §4.1) chunk by chunk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_SHARED, DirectionFramer } from '../../src/split/analyze';
import { PREFACE, bytesOf, frame, grpcMessage } from './synth';

test('client direction: preface and frame headers are shared; a chunk of DATA payload alone, up to the frame\'s end, belongs to its stream', () => {
  const f = new DirectionFramer(false);
  assert.equal(f.push(PREFACE.subarray(0, 10)), CHUNK_SHARED);
  assert.equal(f.push(Buffer.concat([PREFACE.subarray(10), frame(4, 0, 0)])), CHUNK_SHARED);
  const data = frame(0, 1, 3, grpcMessage(bytesOf(5000)));
  assert.equal(f.push(data.subarray(0, 1000)), CHUNK_SHARED, 'carries the frame header');
  assert.equal(f.push(data.subarray(1000, 2000)), 3, 'wholly inside stream 3\'s frame');
  assert.equal(f.push(data.subarray(2000, data.length - 1)), 3);
  assert.equal(f.push(data.subarray(data.length - 1)), 3, 'the frame\'s last byte: a hole ending there keeps framing');
  // A chunk reaching past the frame's end into the next header: shared.
  const next = frame(0, 0, 5, bytesOf(3000));
  assert.equal(f.push(Buffer.concat([next.subarray(0, 2000)])), CHUNK_SHARED);
  assert.equal(f.push(Buffer.concat([next.subarray(2000), frame(0, 0, 3, bytesOf(10)).subarray(0, 5)])), CHUNK_SHARED, 'end of one frame and the header of the next');
  assert.equal(f.push(frame(0, 0, 3, bytesOf(10)).subarray(5)), CHUNK_SHARED, 'rest of a header');
  // Inside a HEADERS frame (HPACK state) or a connection frame: shared.
  const headers = frame(1, 4, 5, bytesOf(300));
  assert.equal(f.push(headers.subarray(0, 100)), CHUNK_SHARED);
  assert.equal(f.push(headers.subarray(100, 200)), CHUNK_SHARED);
  assert.equal(f.push(headers.subarray(200)), CHUNK_SHARED);
  const goaway = frame(7, 0, 0, bytesOf(300));
  f.push(goaway.subarray(0, 100));
  assert.equal(f.push(goaway.subarray(100, 200)), CHUNK_SHARED);
  assert.ok(f.inSync);
});

test('a direction that does not start like HTTP/2, or that lost bytes, is shared for good', () => {
  const http1 = new DirectionFramer(false);
  assert.equal(http1.push(Buffer.from('POST /x HTTP/1.1\r\nUpgrade: h2c\r\n\r\n')), CHUNK_SHARED);
  assert.equal(http1.inSync, false);
  const badPreface = new DirectionFramer(false);
  assert.equal(badPreface.push(Buffer.from('PRI * HTTP/1.1\r\n')), CHUNK_SHARED);
  assert.equal(badPreface.inSync, false);
  // A server direction must begin with its SETTINGS (the server preface).
  const server = new DirectionFramer(true);
  assert.equal(server.push(frame(4, 0, 0)), CHUNK_SHARED);
  const data = frame(0, 0, 1, bytesOf(3000));
  server.push(data.subarray(0, 100));
  assert.equal(server.push(data.subarray(100, 200)), 1);
  server.lose();
  assert.equal(server.push(data.subarray(200, 300)), CHUNK_SHARED);
  const notSettings = new DirectionFramer(true);
  assert.equal(notSettings.push(frame(0, 0, 1, bytesOf(10))), CHUNK_SHARED);
  assert.equal(notSettings.inSync, false);
  // Without a captured start, the server's direction is not trusted either.
  const midStream = new DirectionFramer(false);
  midStream.push(frame(4, 0, 0));
  assert.equal(midStream.inSync, false);
});
