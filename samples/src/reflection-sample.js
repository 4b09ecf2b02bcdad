'use strict';
// The reflection sample: a grpc-js server with @grpc/reflection serving helloworld.Greeter and
// grpctk.demo.Demo, and a client that calls Greeter once, then asks the reflection service (v1, as grpcurl
// does: list the services, then the file containing each), then calls both services, all on one connection.
// The first call comes before the reflection exchange on purpose: grpctk types it too.
//
//   node samples/src/reflection-sample.js server --port 50110
//   node samples/src/reflection-sample.js client --port 50110
//
// The server prints "listening" once bound and stops on SIGTERM. The client prints what it called.
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { ReflectionService } = require('@grpc/reflection');
const { loadServices } = require('./common');

const args = process.argv.slice(2);
const mode = args[0];
const port = Number(args[args.indexOf('--port') + 1] || 50110);
const PROTO_DIR = path.join(__dirname, '..', 'protos');
const OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: [PROTO_DIR] };

if (mode === 'server') {
  const def = protoLoader.loadSync(['grpctk/demo/demo.proto', 'helloworld.proto'], OPTIONS);
  const { Demo, Greeter } = loadServices();
  const server = new grpc.Server();
  server.addService(Greeter.service, { SayHello: (call, cb) => cb(null, { message: `Hello ${call.request.name}` }) });
  server.addService(Demo.service, {
    Unary: (call, cb) => cb(null, { text: `reply to ${call.request.text}`, seq: 1 }),
    ServerStream: (call) => {
      for (let i = 1; i <= (call.request.count || 1); i++) call.write({ text: `${call.request.text} #${i}`, seq: i });
      call.end();
    },
    ClientStream: (call, cb) => cb(null, {}),
    Bidi: (call) => call.end(),
  });
  new ReflectionService(def).addToServer(server);
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) throw err;
    console.log(`listening 127.0.0.1:${port}`);
  });
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (mode === 'client') {
  const reflDef = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
    keepCase: true,
    includeDirs: [path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto')],
  });
  const refl = grpc.loadPackageDefinition(reflDef).grpc.reflection.v1;
  const channel = new grpc.Channel(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {});
  const opts = { channelOverride: channel };
  const client = new refl.ServerReflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), opts);
  const { Demo, Greeter } = loadServices();
  const greeter = new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), opts);
  const demo = new Demo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), opts);
  (async () => {
    const first = await new Promise((res, rej) => greeter.SayHello({ name: 'before' }, (e, r) => (e ? rej(e) : res(r))));
    console.log(`SayHello -> ${JSON.stringify(first)}`);
    const stream = client.ServerReflectionInfo();
    const answers = [];
    stream.on('data', (r) => answers.push(r));
    const ended = new Promise((r) => stream.on('end', r));
    stream.write({ host: '', list_services: '' });
    for (const symbol of ['helloworld.Greeter', 'grpctk.demo.Demo']) stream.write({ host: '', file_containing_symbol: symbol });
    stream.end();
    await ended;
    console.log(`reflection: ${answers.length} answers, ${answers.filter((a) => a.file_descriptor_response).map((a) => a.file_descriptor_response.file_descriptor_proto.length).join('+')} files`);
    const hello = await new Promise((res, rej) => greeter.SayHello({ name: 'reflection' }, (e, r) => (e ? rej(e) : res(r))));
    console.log(`SayHello -> ${JSON.stringify(hello)}`);
    const un = await new Promise((res, rej) => demo.Unary({ text: 'typed' }, (e, r) => (e ? rej(e) : res(r))));
    console.log(`Unary -> ${JSON.stringify(un)}`);
    channel.close();
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
