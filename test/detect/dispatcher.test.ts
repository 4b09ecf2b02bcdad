import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { detectorFactory, DETECT_BUFFER_BYTES } from '../../src/detect/dispatcher';
import type { Dissector } from '../../src/detect/types';
import { probeTls, tlsDissector, newTlsCounters } from '../../src/tls/detect';
import { connectionDetector } from '../../src/detect';
import { KeyLog } from '../../src/tls/keylog';
import { newHttp1Counters } from '../../src/http1/connection';
import { newHttp2Counters } from '../../src/http2/connection';
import type { ConnectionHandler, Direction, TcpConnection } from '../../src/tcp/types';

function conn(synSeen = true): TcpConnection {
  return {
    index: 0,
    endpoints: [{ addr: '127.0.0.1', port: 40000 }, { addr: '127.0.0.1', port: 8443 }],
    synSeen,
    firstFrame: 1,
    firstTsSec: 0,
    firstTsNsec: 0,
  };
}

/** A handler that records what it receives, as a string per event. */
function recorder(log: string[]): ConnectionHandler {
  return {
    data: (dir, b, frame) => log.push(`data ${dir} ${Buffer.from(b).toString('latin1')} #${frame}`),
    gap: (dir, lost) => log.push(`gap ${dir} ${lost}`),
    close: (r) => log.push(`close ${r}`),
  };
}

/** Claims connections whose client direction starts with `word`. */
function wordDissector(word: string, log: string[]): Dissector {
  return {
    name: word,
    probe(view) {
      const h = Buffer.from(view.head(0)).toString('latin1');
      if (h.length < word.length) return word.startsWith(h) && !view.final ? 'more' : 'no';
      return h.startsWith(word) ? 'yes' : 'no';
    },
    create: () => recorder(log),
  };
}

test('a connection goes to the first dissector that claims it, with every held event replayed in order', () => {
  const log: string[] = [];
  const f = detectorFactory([wordDissector('PING', log), wordDissector('HELLO', log)]);
  const h = f(conn());
  h.data(1, Buffer.from('srv'), 1, 0, 0);
  h.data(0, Buffer.from('HEL'), 2, 0, 0);
  assert.deepEqual(log, [], 'nothing is decided on "HEL"');
  h.data(0, Buffer.from('LO world'), 3, 0, 0);
  h.data(1, Buffer.from('after'), 4, 0, 0);
  h.close('fin');
  assert.deepEqual(log, ['data 1 srv #1', 'data 0 HEL #2', 'data 0 LO world #3', 'data 1 after #4', 'close fin']);
  assert.deepEqual(f.counters.claimed, { HELLO: 1 });
  assert.deepEqual(f.counters.unrecognised.counts, { tls: 0, http1: 0, 'start-not-captured': 0, other: 0 });
});

test('a conclusive first chunk is forwarded as it is, without waiting', () => {
  const log: string[] = [];
  const h = detectorFactory([wordDissector('HELLO', log)])(conn());
  h.data(0, Buffer.from('HELLO'), 7, 0, 0);
  assert.deepEqual(log, ['data 0 HELLO #7']);
});

test('a connection nobody claims is counted with why and its server port, and its bytes go nowhere', () => {
  const log: string[] = [];
  const f = detectorFactory([wordDissector('HELLO', log)]);
  const h = f(conn());
  h.data(0, Buffer.from('GET / HTTP/1.1\r\n'), 1, 0, 0);
  h.data(0, Buffer.from('more'), 2, 0, 0);
  h.close('fin');
  assert.deepEqual(log, []);
  // Its handshake was captured (conn() says synSeen): the start was seen, and it was HTTP/1.x.
  assert.equal(f.counters.unrecognised.counts.http1, 1);
  assert.deepEqual([...f.counters.unrecognised.ports.http1], [[8443, 1]]);
});

test('holding stops at DETECT_BUFFER_BYTES: the question becomes final', () => {
  const log: string[] = [];
  const undecided: Dissector = { name: 'slow', probe: (v) => (v.final ? 'no' : 'more'), create: () => recorder(log) };
  const f = detectorFactory([undecided]);
  const h = f(conn());
  const chunk = new Uint8Array(1000);
  for (let i = 0; i * 1000 <= DETECT_BUFFER_BYTES; i++) h.data(0, chunk, i, 0, 0);
  assert.equal(f.counters.unrecognised.counts.other, 1);
});

test('a gap before the first bytes marks that direction\'s start as lost for the dissectors', () => {
  let sawLost: readonly boolean[] = [];
  const d: Dissector = { name: 'x', probe: (v) => { sawLost = [...v.startLost]; return 'yes'; }, create: () => recorder([]) };
  const h = detectorFactory([d])(conn());
  h.gap(1, -1, 1, 0, 0);
  h.data(1, Buffer.from('x'), 2, 0, 0);
  assert.deepEqual(sawLost, [false, true]);
});

/** The first bytes a real Node TLS client sends: its ClientHello. */
async function realClientHello(): Promise<Buffer> {
  const client: Buffer[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', (b) => {
      client.push(b);
      s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
  server.close();
  return Buffer.concat(client);
}

test('TLS is recognised from a real ClientHello, and counted as not decrypted in the summary', async () => {
  const hello = await realClientHello();
  assert.ok(hello.length > 100);
  const counters = newTlsCounters();
  const log: string[] = [];
  const h2: Dissector = { name: 'http2', probe: () => 'yes', create: () => recorder(log) };
  const f = detectorFactory([tlsDissector({ keys: new KeyLog(), counters, inner: () => recorder(log) }), h2]);
  const h = f(conn());
  h.data(0, hello, 1, 0, 0);
  h.close('fin');
  assert.deepEqual(log, [], 'TLS bytes never reach HTTP/2');
  assert.equal(counters.connections, 1);
  assert.equal(counters.decrypted, 0);
  // The handshake did not get to a ServerHello: counted as a handshake not captured.
  assert.equal(counters.noHandshake, 1);
  assert.deepEqual(f.counters.claimed, { tls: 1 });
});

test('TLS joined midway needs two record headers in a row; other protocols are not taken for TLS', () => {
  const view = (b: Uint8Array, synSeen: boolean, final = false) => ({ conn: conn(synSeen), head: (d: Direction) => (d === 0 ? b : new Uint8Array(0)), startLost: [false, false] as const, final });
  const rec = (type: number, len: number) => Buffer.concat([Buffer.from([type, 3, 3, len >> 8, len & 255]), Buffer.alloc(len, 0xaa)]);
  assert.equal(probeTls(view(rec(23, 100), false)), 'more', 'one application_data record: wait for the next header');
  assert.equal(probeTls(view(Buffer.concat([rec(23, 100), rec(23, 40)]), false)), 'yes');
  assert.equal(probeTls(view(rec(23, 100), true)), 'no', 'a captured start is a handshake');
  assert.equal(probeTls(view(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), true)), 'no');
  assert.equal(probeTls(view(Buffer.from('GET / HTTP/1.1\r\n'), true)), 'no');
  assert.equal(probeTls(view(Buffer.from([0, 0, 0x12, 4, 0, 0, 0, 0, 0]), false)), 'no', 'an HTTP/2 SETTINGS frame');
  assert.equal(probeTls(view(Buffer.from([0x17, 3, 3, 0x50, 0]), false)), 'no', 'a length over 2^14 + 2048');
});

test('the decode\'s detector still sends plaintext HTTP/2 to the HTTP/2 layer', () => {
  const log: string[] = [];
  const http2 = Object.assign(() => recorder(log), { counters: newHttp2Counters(), ports: new Set<number>(), start: () => recorder(log) });
  const http1 = { sink: { headers() {}, data() {}, rstStream() {}, connectionClosed() {} }, counters: newHttp1Counters() };
  const f = connectionDetector({ http2, tls: newTlsCounters(), keys: new KeyLog(), http1 });
  const h = f(conn());
  h.data(0, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 1, 0, 0);
  assert.deepEqual(log, ['data 0 PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n #1']);
});
