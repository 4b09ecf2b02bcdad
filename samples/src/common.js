'use strict';
// Shared by the Node sample programs: loads the sample protos with @grpc/proto-loader and builds the
// deterministic message contents the captures carry (fixed timestamps and values, so that two runs of
// make-samples.sh put the same message bodies on the wire; only times, ports and TCP numbers change).

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.join(__dirname, '..', 'protos');

// keepCase: the field names of the .proto (as Wireshark shows them); longs as strings so that int64 values
// above 2^53 survive; enums by name.
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };

function loadServices() {
  const def = protoLoader.loadSync(['grpctk/demo/demo.proto', 'helloworld.proto'], {
    ...LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  const pkg = grpc.loadPackageDefinition(def);
  return { Demo: pkg.grpctk.demo.Demo, Greeter: pkg.helloworld.Greeter };
}

/** A google.protobuf.Any holding a grpctk.demo.Point, encoded with protobufjs. */
function pointAny(point) {
  const root = protobuf.loadSync(path.join(PROTO_DIR, 'grpctk/demo/demo.proto'));
  const Point = root.lookupType('grpctk.demo.Point');
  return {
    type_url: 'type.googleapis.com/grpctk.demo.Point',
    value: Buffer.from(Point.encode(Point.fromObject(point)).finish()),
  };
}

/** Fixed instants: 2024-01-02T03:04:05.123456789Z and one hour later. */
const WHEN = { seconds: '1704164645', nanos: 123456789 };
const WHEN_LATER = { seconds: '1704168245', nanos: 500000000 };

/** A DemoRequest that fills every field kind of the JSON mapping (the oneof set to `choice_point`). */
function fullRequest(action, text) {
  return {
    action,
    text,
    big: '-9007199254740993', // below -2^53: must stay exact, printed as a JSON string
    ubig: '18446744073709551615', // 2^64-1
    blob: Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff]),
    color: 'COLOR_BLUE',
    point: { x: 3, y: -4, label: 'origin+offset' },
    numbers: [1, 2, 3, -1],
    tags: ['alpha', 'beta'],
    counts: { apples: '3', pears: '-5' },
    when: WHEN,
    wait: { seconds: '1', nanos: 500000000 },
    extra: {
      fields: {
        name: { stringValue: 'demo' },
        n: { numberValue: 1.5 },
        ok: { boolValue: true },
        nothing: { nullValue: 'NULL_VALUE' },
        list: { listValue: { values: [{ numberValue: 1 }, { stringValue: 'two' }] } },
        nested: { structValue: { fields: { k: { stringValue: 'v' } } } },
      },
    },
    note: { value: 'a wrapped string' },
    attachment: pointAny({ x: 7, y: 8, label: 'in an Any' }),
    choice_point: { x: 1, y: 2 },
    ratio: 0.25,
    flag: true,
  };
}

/** Text that gzip shrinks well, so that compressed messages really are compressed on the wire. */
function compressibleText(n) {
  return 'the quick brown fox jumps over the lazy dog; '.repeat(n);
}

/** Parses `--name value` pairs. */
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

/**
 * Channel credentials: plaintext, or TLS when `args['tls-ca']` names the CA certificate (the server's
 * self-signed one). `args['tls-name']` is the name the client asks for (SNI) and checks the certificate
 * against. Which TLS version and cipher suites are offered is set with Node's own flags (--tls-max-v1.2,
 * --tls-cipher-list), and the secrets go to the key log of --tls-keylog: see make-samples.sh.
 */
function channelCredentials(args) {
  if (!args['tls-ca']) return { creds: grpc.credentials.createInsecure(), options: {} };
  const fs = require('node:fs');
  return {
    creds: grpc.credentials.createSsl(fs.readFileSync(args['tls-ca'])),
    options: args['tls-name'] ? { 'grpc.ssl_target_name_override': args['tls-name'], 'grpc.default_authority': args['tls-name'] } : {},
  };
}

/** Server credentials: plaintext, or TLS with `args['tls-cert']` and `args['tls-key']` (PEM files). */
function serverCredentials(args) {
  if (!args['tls-cert']) return grpc.ServerCredentials.createInsecure();
  const fs = require('node:fs');
  return grpc.ServerCredentials.createSsl(null, [
    { cert_chain: fs.readFileSync(args['tls-cert']), private_key: fs.readFileSync(args['tls-key']) },
  ]);
}

module.exports = {
  grpc,
  channelCredentials,
  serverCredentials,
  loadServices,
  pointAny,
  fullRequest,
  compressibleText,
  parseArgs,
  WHEN,
  WHEN_LATER,
};
