'use strict';
// grpc-js client of the sample captures. Runs one scenario against a server, calls one after another (so
// that HTTP/2 stream ids and the order of calls in a capture are fixed), and exits non-zero if any call ends
// differently from what the scenario expects.
//
//   node samples/src/node-client.js --target 127.0.0.1:50051 --scenario basic
//   node samples/src/node-client.js --target 127.0.0.1:50100 --scenario hello --tls-ca cert.pem --tls-name grpctk.test
//
// Scenarios (what each puts on the wire is listed in samples/README.md): basic, hello, hostile, cross,
// large, longlived, stream.

const { grpc, loadServices, fullRequest, compressibleText, parseArgs, channelCredentials } = require('./common');
const { HOSTILE } = require('./hostile');

const args = parseArgs(process.argv.slice(2));
const target = args.target ?? '127.0.0.1:50051';
const scenario = args.scenario ?? 'basic';
const { Demo, Greeter } = loadServices();
// Plaintext, or TLS with --tls-ca CA.pem [--tls-name NAME].
const security = channelCredentials(args);

/** Channel options: one connection per client object (no subchannel sharing between the two channels). */
function channelOptions(extra) {
  return { 'grpc.use_local_subchannel_pool': 1, ...security.options, ...extra };
}

function unary(client, method, req, { metadata = new grpc.Metadata(), deadlineMs } = {}) {
  return new Promise((resolve) => {
    const opts = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    client[method](req, metadata, opts, (err, reply) => resolve({ code: err ? err.code : 0, err, reply }));
  });
}

function serverStream(client, method, req, { metadata = new grpc.Metadata(), cancelAfter } = {}) {
  return new Promise((resolve) => {
    const call = client[method](req, metadata);
    const replies = [];
    call.on('data', (r) => {
      replies.push(r);
      if (cancelAfter !== undefined && replies.length === cancelAfter) call.cancel();
    });
    call.on('error', (err) => resolve({ code: err.code, err, replies }));
    call.on('status', (s) => {
      if (s.code === 0) resolve({ code: 0, replies });
    });
  });
}

function clientStream(client, method, reqs, { metadata = new grpc.Metadata() } = {}) {
  return new Promise((resolve) => {
    const call = client[method](metadata, (err, reply) => resolve({ code: err ? err.code : 0, err, reply }));
    for (const r of reqs) call.write(r);
    call.end();
  });
}

/** Bidi, one request at a time: each request is written after the previous reply arrived. */
function bidi(client, method, reqs, { metadata = new grpc.Metadata() } = {}) {
  return new Promise((resolve) => {
    const call = client[method](metadata);
    const replies = [];
    let i = 0;
    const writeNext = () => {
      if (i < reqs.length) call.write(reqs[i++]);
      else call.end();
    };
    call.on('data', (r) => {
      replies.push(r);
      writeNext();
    });
    call.on('error', (err) => resolve({ code: err.code, err, replies }));
    call.on('status', (s) => {
      if (s.code === 0) resolve({ code: 0, replies });
    });
    writeNext();
  });
}

const failures = [];
function expect(name, result, code) {
  const got = result.code;
  const line = `${name}: status ${got}${result.err ? ` (${result.err.details})` : ''}`;
  console.log(line);
  if (got !== code) failures.push(`${name}: expected status ${code}, got ${got}`);
}

function requestMetadata() {
  const md = new grpc.Metadata();
  md.set('x-request-id', 'req-0001');
  md.add('x-multi', 'first');
  md.add('x-multi', 'second');
  md.set('x-client-bin', Buffer.from([0x00, 0x01, 0x02, 0x7f, 0x80, 0xff]));
  return md;
}

async function basic() {
  const plain = new Demo(target, security.creds, channelOptions());
  const greeter = new Greeter(target, security.creds, channelOptions());
  // 1: HTTP/2 stream 1 of connection 0 (the greeter has its own connection, see below).
  expect('Unary ok', await unary(plain, 'Unary', fullRequest('ok', 'first call'), { metadata: requestMetadata() }), 0);
  expect('ServerStream 5', await serverStream(plain, 'ServerStream', { action: 'ok', text: 'stream', count: 5 }), 0);
  expect(
    'ClientStream 4',
    await clientStream(plain, 'ClientStream', [1, 2, 3, 4].map((n) => ({ text: `part ${n}`, numbers: [n, n * 10] }))),
    0,
  );
  expect(
    'Bidi 3',
    await bidi(plain, 'Bidi', ['one', 'two', 'three'].map((t, i) => ({ text: t, color: ['COLOR_RED', 'COLOR_GREEN', 'COLOR_BLUE'][i] }))),
    0,
  );
  expect('Unary error', await unary(plain, 'Unary', { action: 'error', text: 'please fail' }), grpc.status.INVALID_ARGUMENT);
  expect('Unary fail-fast', await unary(plain, 'Unary', { action: 'fail-fast' }), grpc.status.NOT_FOUND);
  expect(
    'Unary big',
    await unary(plain, 'Unary', { action: 'big', text: 'big request', count: 100000, blob: Buffer.alloc(100000, 0x62) }),
    0,
  );
  expect('Unary slow', await unary(plain, 'Unary', { action: 'slow', count: 1000 }, { deadlineMs: 200 }), grpc.status.DEADLINE_EXCEEDED);
  expect(
    'ServerStream cancel',
    await serverStream(plain, 'ServerStream', { action: 'slow-stream', count: 50 }, { cancelAfter: 3 }),
    grpc.status.CANCELLED,
  );
  // The deadline-exceeded handler is still sleeping on the server; let it finish before the next call so the
  // capture's order is stable.
  await new Promise((r) => setTimeout(r, 1000));

  // Second connection: requests gzip-compressed (grpc-encoding: gzip, compressed flag 1).
  const gz = new Demo(target, security.creds, channelOptions({ 'grpc.default_compression_algorithm': 2 }));
  expect('gzip Unary', await unary(gz, 'Unary', { action: 'ok', text: compressibleText(20), tags: ['gzip'] }), 0);
  expect(
    'gzip ClientStream',
    await clientStream(gz, 'ClientStream', [1, 2, 3].map((n) => ({ text: compressibleText(n * 5), numbers: [n] }))),
    0,
  );
  expect('gzip Bidi', await bidi(gz, 'Bidi', ['a', 'b'].map((t) => ({ text: t + compressibleText(10) }))), 0);

  // Third connection: the classic hello world.
  expect('SayHello', await unary(greeter, 'SayHello', { name: 'world' }), 0);
  plain.close();
  gz.close();
  greeter.close();
}

async function hello() {
  const greeter = new Greeter(target, security.creds, channelOptions());
  expect('SayHello', await unary(greeter, 'SayHello', { name: 'world' }), 0);
  greeter.close();
}

async function hostile() {
  const c = new Demo(target, security.creds, channelOptions());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(HOSTILE.metadata)) md.set(k, v);
  md.set('x-hostile-bin', Buffer.from(HOSTILE.text, 'utf8'));
  const req = { action: 'hostile', text: HOSTILE.text, tags: HOSTILE.requestTags, choice_name: HOSTILE.formula };
  expect('hostile Unary', await unary(c, 'Unary', req, { metadata: md }), 0);
  expect('hostile-error Unary', await unary(c, 'Unary', { ...req, action: 'hostile-error' }, { metadata: md }), grpc.status.ABORTED);
  c.close();
}

/** Against the Python server: gzip both ways (the Python server compresses when asked by x-compress-response). */
async function cross() {
  const plain = new Demo(target, security.creds, channelOptions());
  expect('Unary ok', await unary(plain, 'Unary', fullRequest('ok', 'from node'), { metadata: requestMetadata() }), 0);
  expect('ServerStream 3', await serverStream(plain, 'ServerStream', { action: 'ok', text: 'stream', count: 3 }), 0);
  expect('Unary error', await unary(plain, 'Unary', { action: 'error', text: 'please fail' }), grpc.status.INVALID_ARGUMENT);
  const gz = new Demo(target, security.creds, channelOptions({ 'grpc.default_compression_algorithm': 2 }));
  const md = new grpc.Metadata();
  md.set('x-compress-response', 'gzip');
  expect('gzip Unary', await unary(gz, 'Unary', { action: 'ok', text: compressibleText(20) }, { metadata: md }), 0);
  plain.close();
  gz.close();
}

/** Large messages: one 1 MiB request and one 1 MiB reply (many DATA frames, HTTP/2 flow control). */
async function large() {
  const c = new Demo(target, security.creds, channelOptions());
  const size = 1 << 20;
  expect(`Unary big ${size}`, await unary(c, 'Unary', { action: 'big', count: size, blob: Buffer.alloc(size, 0x63) }), 0);
  c.close();
}

/**
 * One long-lived connection: a first round of calls (they fill both HPACK tables), a pause of 1.5 s where
 * the capture is cut (samples/make-samples.sh, editcap -r), then a second round on the same connection.
 * Every call of the second round but the last two repeats a method and headers of the first.
 */
async function longlived() {
  const c = new Demo(target, grpc.credentials.createInsecure(), channelOptions());
  const g = new Greeter(target, grpc.credentials.createInsecure(), { channelOverride: c.getChannel() });
  const round = async (n) => {
    expect(`Unary ok ${n}`, await unary(c, 'Unary', fullRequest('ok', `round ${n}`), { metadata: requestMetadata() }), 0);
    expect(`ServerStream 3 ${n}`, await serverStream(c, 'ServerStream', { action: 'ok', text: `stream ${n}`, count: 3 }), 0);
    expect(`SayHello ${n}`, await unary(g, 'SayHello', { name: `round ${n}` }), 0);
    expect(`Unary error ${n}`, await unary(c, 'Unary', { action: 'error', text: 'please fail' }), grpc.status.INVALID_ARGUMENT);
    expect(`Bidi 2 ${n}`, await bidi(c, 'Bidi', ['one', 'two'].map((t) => ({ text: t, color: 'COLOR_RED' }))), 0);
  };
  await round(1);
  await new Promise((r) => setTimeout(r, 1500));
  await round(2);
  expect('ClientStream 3', await clientStream(c, 'ClientStream', [1, 2, 3].map((n) => ({ text: `part ${n}`, numbers: [n] }))), 0);
  expect('Unary fail-fast', await unary(c, 'Unary', { action: 'fail-fast' }), grpc.status.NOT_FOUND);
  c.close();
}

/** Bidi that writes one request every `everyMs` without waiting for replies, then ends. */
function bidiTicking(client, method, reqs, everyMs) {
  return new Promise((resolve) => {
    const call = client[method](new grpc.Metadata());
    const replies = [];
    let i = 0;
    const timer = setInterval(() => {
      if (i < reqs.length) call.write(reqs[i++]);
      else {
        clearInterval(timer);
        call.end();
      }
    }, everyMs);
    call.on('data', (r) => replies.push(r));
    call.on('error', (err) => resolve({ code: err.code, err, replies }));
    call.on('status', (s) => {
      if (s.code === 0) resolve({ code: 0, replies });
    });
  });
}

/**
 * Long-lived streams that a capture joins in their middle (the joined-stream sample), on two connections at
 * once. On each, a bidi stream and a server stream send a message every 100 ms for 3 s, some larger than one
 * DATA frame (20 KB: bidi request 25 and its echo, server stream reply 20), and a unary call runs while they
 * do; the bidi stream ends OK, the server stream with status 8 and a grpc-message. Connection A first makes
 * a unary call (its trailers put grpc-status in both HPACK tables before the cut) and its bidi stream sends
 * one request larger than a flow-control window (80 KB, request 15, not echoed: the capture is cut inside
 * it); connection B makes no call before the streams, so every status after the cut is a literal or an
 * entry inserted after it.
 */
async function stream() {
  const streams = async (name, c, withBefore) => {
    if (withBefore) expect(`${name} Unary ok`, await unary(c, 'Unary', { action: 'ok', text: 'before the streams' }), 0);
    const reqs = Array.from({ length: 30 }, (_, k) => {
      const n = k + 1;
      const req = { action: 'echo', text: `bidi ${n} of 30`, numbers: [n] };
      if (n === 25) req.blob = Buffer.alloc(20 * 1024, 0x62);
      if (n === 15 && withBefore) req.blob = Buffer.alloc(80 * 1024, 0x63);
      return req;
    });
    const bidiDone = bidiTicking(c, 'Bidi', reqs, 100);
    const streamDone = serverStream(c, 'ServerStream', { action: 'ticks', count: 30, numbers: [20] });
    await new Promise((r) => setTimeout(r, 2200));
    expect(`${name} Unary during the streams`, await unary(c, 'Unary', { action: 'ok', text: 'while streaming' }), 0);
    expect(`${name} Bidi 30 (echo)`, await bidiDone, 0);
    expect(`${name} ServerStream ticks 30`, await streamDone, grpc.status.RESOURCE_EXHAUSTED);
  };
  const a = new Demo(target, grpc.credentials.createInsecure(), channelOptions());
  const b = new Demo(target, grpc.credentials.createInsecure(), channelOptions());
  await Promise.all([streams('A', a, true), streams('B', b, false)]);
  a.close();
  b.close();
}

const scenarios = { basic, hello, hostile, cross, large, longlived, stream };
if (!scenarios[scenario]) {
  console.error(`node-client: unknown scenario ${scenario}`);
  process.exit(2);
}
scenarios[scenario]().then(
  () => {
    if (failures.length > 0) {
      console.error(`node-client: ${failures.join('; ')}`);
      process.exit(1);
    }
  },
  (err) => {
    console.error(`node-client: ${err.message}`);
    process.exit(1);
  },
);
