import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyUnrecognised, countPort, countUnrecognised, looksLikeTls, newUnrecognisedCounters, serverPorts } from '../../src/detect/unrecognised';
import { unrecognisedLines } from '../../src/summary';

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);
const none = new Uint8Array(0);

test('TLS is told by its record header: content type 20-23, version 3.x, a plausible length', () => {
  assert.equal(looksLikeTls(bytes(0x16, 0x03, 0x01, 0x02, 0x00), 5), true); // ClientHello record
  assert.equal(looksLikeTls(bytes(0x17, 0x03, 0x03, 0x40, 0x11), 5), true); // application data, max size
  assert.equal(looksLikeTls(bytes(0x17, 0x03, 0x03, 0x48, 0x01), 5), false); // longer than 2^14 + 2048
  assert.equal(looksLikeTls(bytes(0x16, 0x02, 0x01, 0x00, 0x10), 5), false);
  assert.equal(looksLikeTls(bytes(0x00, 0x00, 0x12, 0x04, 0x00), 5), false); // an HTTP/2 SETTINGS frame
  assert.equal(looksLikeTls(bytes(0x16, 0x03, 0x01), 3), false);
});

test('why no protocol took a connection: TLS, HTTP/1.x, start not captured, other; nothing when it carried no bytes', () => {
  const tls = bytes(0x16, 0x03, 0x01, 0x02, 0x00);
  assert.equal(classifyUnrecognised([tls, none], [5, 0], [false, false], true), 'tls');
  assert.equal(classifyUnrecognised([bytes(0x17, 0x03, 0x03, 0x00, 0x20), none], [5, 0], [false, false], false), 'tls');
  assert.equal(classifyUnrecognised([text('GET / HTTP/1.1'), text('HTTP/1.1 200 OK')], [14, 15], [false, false], true), 'http1');
  assert.equal(classifyUnrecognised([bytes(0, 0, 8, 0, 0, 0, 0, 0, 3), none], [9, 0], [false, false], false), 'start-not-captured');
  assert.equal(classifyUnrecognised([bytes(1, 2, 3, 4, 5, 6), none], [6, 0], [true, false], true), 'start-not-captured');
  assert.equal(classifyUnrecognised([text('+OK redis'), none], [9, 0], [false, false], true), 'other');
  assert.equal(classifyUnrecognised([none, none], [0, 0], [false, false], false), null);
});

test('server ports: the SYN destination; without a handshake, the end that is a server elsewhere', () => {
  const c = newUnrecognisedCounters();
  const http2Ports = new Map<number, number>();
  countPort(http2Ports, 50051);
  // Joined midway: client port 34352 is lower than the server's 50051, which carried HTTP/2 elsewhere.
  countUnrecognised(c, 'start-not-captured', [{ addr: '127.0.0.1', port: 34352 }, { addr: '127.0.0.1', port: 50051 }], false);
  countUnrecognised(c, 'tls', [{ addr: '10.0.0.1', port: 41000 }, { addr: '10.0.0.2', port: 443 }], true);
  countUnrecognised(c, 'tls', [{ addr: '10.0.0.2', port: 8443 }, { addr: '10.0.0.1', port: 52000 }], false);
  assert.deepEqual([...serverPorts(c, 'start-not-captured', http2Ports)], [[50051, 1]]);
  assert.deepEqual([...serverPorts(c, 'tls', http2Ports)].sort(), [[443, 1], [8443, 1]]);
  assert.equal(c.counts.tls, 2);
});

test('the summary of a joined connection nothing recognised names its port, and the flag when the port carried HTTP/2', () => {
  const c = newUnrecognisedCounters();
  countUnrecognised(c, 'start-not-captured', [{ addr: '127.0.0.1', port: 34352 }, { addr: '127.0.0.1', port: 50100 }], false);
  const http2Ports = new Map([[50100, 1]]);
  const [line] = unrecognisedLines(c, http2Ports, []);
  assert.match(line, /^1 TCP connection \(server port 50100\) not decoded: its start was not captured .*; port 50100 carried HTTP\/2 on another connection: try --http2-port 50100$/);
  // Already forced: no hint to give it again.
  assert.doesNotMatch(unrecognisedLines(c, http2Ports, [50100])[0], /try --http2-port/);
});
