import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsConnection, newTlsCounters, type TlsCounters } from '../../src/tls/connection';
import { KeyLog } from '../../src/tls/keylog';
import { tlsWarnings } from '../../src/tls/summary';
import type { Direction, TcpConnection } from '../../src/tcp/types';
import { craftTls12, craftTls13, Recorder, type Crafted } from './builder';

function conn(): TcpConnection {
  return {
    index: 0,
    endpoints: [{ addr: '10.0.0.1', port: 40000 }, { addr: '10.0.0.2', port: 443 }],
    synSeen: true,
    firstFrame: 1,
    firstTsSec: 0,
    firstTsNsec: 0,
  };
}

interface Run {
  inner: Recorder;
  counters: TlsCounters;
  keys: KeyLog;
  innerConn: TcpConnection | null;
}

/** Feed a crafted connection through the TLS layer; `chunk` re-cuts each event into pieces of that size. */
function run(c: Crafted, opts: { keylog?: string; chunk?: number; mangle?: (i: number, b: Buffer) => Buffer | null } = {}): Run {
  const keys = new KeyLog();
  keys.addText(opts.keylog ?? c.keylog, 'test.keys');
  const counters = newTlsCounters();
  const inner = new Recorder();
  const out: Run = { inner, counters, keys, innerConn: null };
  const h = new TlsConnection(conn(), {
    keys,
    counters,
    inner: (tc) => {
      out.innerConn = tc;
      return inner;
    },
  });
  let frame = 1;
  c.events.forEach((e, i) => {
    const bytes = opts.mangle ? opts.mangle(i, e.bytes) : e.bytes;
    if (bytes === null) {
      h.gap(e.dir, e.bytes.length, frame++, 0, 0);
      return;
    }
    const step = opts.chunk ?? bytes.length;
    for (let off = 0; off < bytes.length; off += step) h.data(e.dir, bytes.subarray(off, off + step), frame++, 0, 0);
  });
  h.close('fin');
  return out;
}

const appData: Array<{ dir: Direction; text: string }> = [
  { dir: 0, text: 'PRI * HTTP/2.0' },
  { dir: 1, text: 'server one' },
  { dir: 0, text: ' and more' },
  { dir: 1, text: ', server two' },
  { dir: 1, text: ', server three' },
];

test('TLS 1.3 with each AEAD suite: the plaintext of both directions reaches the inner handler, with what the handshake said', () => {
  for (const suite of [0x1301, 0x1302, 0x1303]) {
    const r = run(craftTls13({ suite, appData }));
    assert.deepEqual(r.inner.text, ['PRI * HTTP/2.0 and more', 'server one, server two, server three'], `suite ${suite}`);
    assert.equal(r.counters.decrypted, 1);
    assert.deepEqual(r.innerConn?.security?.tls, {
      version: 'TLS 1.3',
      cipher_suite: { 0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256' }[suite],
      sni: 'crafted.test',
      alpn: 'h2',
      resumed: 'no',
    });
  }
});

test('TLS 1.2 with AES-GCM (SHA-256 and SHA-384 PRF) and ChaCha20-Poly1305', () => {
  for (const suite of [0xc02b, 0xc030, 0xcca9]) {
    const r = run(craftTls12({ suite, appData }));
    assert.deepEqual(r.inner.text, ['PRI * HTTP/2.0 and more', 'server one, server two, server three'], `suite ${suite}`);
    assert.equal(r.innerConn?.security?.tls.version, 'TLS 1.2');
    assert.equal(r.innerConn?.security?.tls.alpn, 'h2');
  }
});

test('a record split at every byte decrypts the same (records spanning segments)', () => {
  for (const c of [craftTls13({ appData }), craftTls12({ appData })]) {
    assert.deepEqual(run(c, { chunk: 1 }).inner.text, run(c).inner.text);
    assert.deepEqual(run(c, { chunk: 7 }).inner.text, run(c).inner.text);
  }
});

test('many records in one segment decrypt in order', () => {
  const c = craftTls13({ appData });
  const merged: Crafted = { keylog: c.keylog, events: [] };
  for (const e of c.events) {
    const last = merged.events[merged.events.length - 1];
    if (last && last.dir === e.dir) last.bytes = Buffer.concat([last.bytes, e.bytes]);
    else merged.events.push({ ...e });
  }
  assert.deepEqual(run(merged).inner.text, run(c).inner.text);
});

test('KeyUpdate: the server\'s records after it decrypt with the next application secret', () => {
  const r = run(craftTls13({ appData, keyUpdateAfter: 1 }));
  assert.deepEqual(r.inner.text, ['PRI * HTTP/2.0 and more', 'server one, server two, server three']);
  assert.equal(r.counters.failedRecords, 0);
});

test('wrong keys: every record fails authentication, counted once per kind, nothing reaches the inner handler', () => {
  const c = craftTls13({ appData });
  const wrong = c.keylog.replace(/ ([0-9a-f]{64})$/gm, (_m, s: string) => ` ${s.slice(0, -1)}${s.endsWith('0') ? '1' : '0'}`);
  const r = run(c, { keylog: wrong });
  assert.equal(r.inner.text.join(''), '');
  assert.equal(r.counters.failedConnections, 1);
  assert.ok(r.counters.failedRecords >= 3);
  const lines = tlsWarnings(r.counters, r.keys);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /TLS records? in 1 connection failed authentication \(wrong keys or damaged bytes\)/);
});

test('a damaged record is lost alone: the records after it still decrypt (TLS 1.3 and 1.2)', () => {
  for (const c of [craftTls13({ appData }), craftTls12({ appData })]) {
    // Event 5 of 1.3 (index 4 of appData 0..) is the server's "server one"; flip a byte of its ciphertext.
    const target = c.events.findIndex((e, i) => e.dir === 1 && i > 2 && e.bytes[0] === 23);
    const r = run(c, { mangle: (i, b) => (i === target ? Buffer.concat([b.subarray(0, 10), Buffer.from([b[10] ^ 1]), b.subarray(11)]) : b) });
    assert.equal(r.inner.text[1], '|, server two, server three');
    assert.equal(r.counters.failedRecords, 1);
    assert.equal(r.inner.text[0], 'PRI * HTTP/2.0 and more');
  }
});

test('a record lost in a TCP gap: the next records are found and decrypt (sequence number searched)', () => {
  for (const c of [craftTls13({ appData }), craftTls12({ appData })]) {
    // The server's second application record ("…server two") is not captured.
    const appRecords = c.events.map((e, i) => [e, i] as const).filter(([e]) => e.dir === 1 && e.bytes[0] === 23 && e.bytes.length < 60);
    const target = appRecords[appRecords.length - 2][1];
    const r = run(c, { mangle: (i, b) => (i === target ? null : b) });
    assert.equal(r.inner.text[1], 'server one|, server three', 'the lost record is a gap, the next one decrypts');
    assert.deepEqual(r.inner.log, ['gap 1 -1']);
  }
});

test('a truncated record at the end of the capture is not delivered and breaks nothing before it', () => {
  const c = craftTls13({ appData });
  const last = c.events.length - 1;
  const r = run(c, { mangle: (i, b) => (i === last ? b.subarray(0, b.length - 5) : b) });
  assert.equal(r.inner.text[1], 'server one, server two');
  assert.equal(r.counters.failedRecords, 0);
});

test('missing key log lines: no secrets is one summary line; traffic secrets alone still decrypt the calls', () => {
  const c = craftTls13({ appData });
  const none = run(c, { keylog: '# nothing here\n' });
  assert.equal(none.inner.text.join(''), '');
  assert.deepEqual(tlsWarnings(none.counters, none.keys), ['1 TLS connection not decrypted: no keys for their client random in the key logs']);
  const noHandshakeSecrets = c.keylog.split('\n').filter((l) => !l.includes('HANDSHAKE')).join('\n');
  const r = run(c, { keylog: noHandshakeSecrets });
  assert.deepEqual(r.inner.text, ['PRI * HTTP/2.0 and more', 'server one, server two, server three']);
  assert.equal(r.innerConn?.security?.tls.alpn, undefined, 'ALPN is in the encrypted handshake: unknown, so absent');
  assert.equal(r.counters.failedRecords, 0);
});

test('a TLS 1.3 connection with no key log at all says to pass --tls-keylog', () => {
  const c = craftTls13({ appData });
  const keys = new KeyLog();
  const counters = newTlsCounters();
  const h = new TlsConnection(conn(), { keys, counters, inner: () => new Recorder() });
  for (const e of c.events) h.data(e.dir, e.bytes, 1, 0, 0);
  h.close('fin');
  assert.deepEqual(tlsWarnings(counters, keys), ['1 TLS connection not decrypted: no keys for their client random; pass --tls-keylog']);
});

test('mutated TLS bytes (flipped, cut, repeated) never throw: decrypted or counted, whatever arrives', () => {
  let seed = 12;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    const c = round % 2 === 0 ? craftTls13({ appData, keyUpdateAfter: 2 }) : craftTls12({ appData });
    const victim = rnd(c.events.length);
    const r = run(c, {
      chunk: 1 + rnd(40),
      mangle: (i, b) => {
        if (i !== victim) return b;
        const m = Buffer.from(b);
        switch (rnd(4)) {
          case 0: m[rnd(m.length)] ^= 1 << rnd(8); return m;
          case 1: return m.subarray(0, rnd(m.length));
          case 2: return Buffer.concat([m, m.subarray(0, rnd(m.length))]);
          default: return null; // a TCP gap
        }
      },
    });
    assert.equal(typeof r.counters.connections, 'number');
  }
});
