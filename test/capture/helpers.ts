/**
 * Helpers for the live capture tests: a grpc-js Greeter on 127.0.0.1, `grpctk capture` as a child process,
 * and a reader that turns the pcapng it wrote back into interfaces, packets, statistics and TCP payloads.
 */
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { after } from 'node:test';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CaptureReader } from '../../src/pcap/reader';
import type { CaptureInterface, CaptureSection, InterfaceStatistics } from '../../src/pcap/types';

export const ROOT = join(__dirname, '..', '..');

/** The command under test, as a user runs it: bin/grpctk.js (the bundle `npm test` builds first). */
const CLI_ARGS = [join(ROOT, 'bin', 'grpctk.js')];
const PROTO = join(ROOT, 'samples', 'protos', 'helloworld.proto');

// ----------------------------------------------------------------------------------------------------------
// gRPC

type Greeter = grpc.Client & {
  SayHello(req: { name: string }, cb: (err: grpc.ServiceError | null, res?: { message: string }) => void): void;
};
let greeterCtor: (new (address: string, creds: grpc.ChannelCredentials) => Greeter) | undefined;
let serviceDef: grpc.ServiceDefinition | undefined;

function load(): void {
  if (greeterCtor) return;
  const def = protoLoader.loadSync(PROTO, { keepCase: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    helloworld: { Greeter: (new (a: string, c: grpc.ChannelCredentials) => Greeter) & { service: grpc.ServiceDefinition } };
  };
  greeterCtor = pkg.helloworld.Greeter;
  serviceDef = pkg.helloworld.Greeter.service;
}

export interface GreeterServer {
  port: number;
  stop(): Promise<void>;
}

/** A Greeter answering "Hello NAME", on 127.0.0.1 and a free port. */
export async function startServer(): Promise<GreeterServer> {
  load();
  const server = new grpc.Server();
  server.addService(serviceDef!, {
    SayHello: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, cb: grpc.sendUnaryData<{ message: string }>) =>
      cb(null, { message: `Hello ${call.request.name}` }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

/** One SayHello per name, one after the other, on a new connection (so the capture sees its preface). */
export async function callAll(port: number, names: string[]): Promise<string[]> {
  load();
  const client = new greeterCtor!(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const replies: string[] = [];
  try {
    for (const name of names) {
      replies.push(
        await new Promise<string>((resolve, reject) =>
          client.SayHello({ name }, (err, res) => (err ? reject(err) : resolve(res!.message))),
        ),
      );
    }
  } finally {
    client.close();
  }
  return replies;
}

// ----------------------------------------------------------------------------------------------------------
// The CLI as a child process

export interface Child {
  proc: ChildProcess;
  stdout: Buffer[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Children (captures, servers, decoders) still running when a test file ends: a test that failed or timed
 * out before stopping them (a timed-out test's `finally` never runs) would otherwise leave them behind and
 * keep the file's process, and the whole run, waiting forever. Killed in `after`, and on exit should the
 * file end another way.
 */
const running = new Set<ChildProcess>();
function killRunning(): void {
  for (const proc of running) proc.kill('SIGKILL');
}
after(killRunning);
process.on('exit', killRunning);

/** Kills `proc` with the others when the test file ends, if it is still running then. */
export function track<T extends ChildProcess>(proc: T): T {
  if (proc.exitCode === null && proc.signalCode === null) running.add(proc);
  proc.on('exit', () => running.delete(proc));
  return proc;
}

/** `grpctk ARGS`, with stdout kept as bytes and stderr as text. */
export function runGrpctk(args: string[], options: SpawnOptions = {}): Child {
  return runLauncher(CLI_ARGS, args, options);
}

/** `node LAUNCHER ARGS` (a launcher other than this checkout's, such as a copy another user can read). */
export function runLauncher(launcher: string[], args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(process.execPath, [...launcher, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  track(proc);
  const child: Child = {
    proc,
    stdout: [],
    stderr: '',
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  proc.stdout!.on('data', (b: Buffer) => child.stdout.push(b));
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (s: string) => (child.stderr += s));
  return child;
}

/**
 * Hang guards, not speed checks: generous enough for a loaded two-core machine, where starting node and
 * opening the capture alone can take several seconds.
 */
const WAIT_MS = 30_000;

/** Resolves once `check()` is true; polls every 20 ms; rejects after `ms` with `what` and stderr so far. */
export async function waitFor(check: () => boolean, what: string, ms = WAIT_MS, child?: Child): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${child ? `; stderr: ${child.stderr}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The capture is live once it says "Capturing on": packets from then on are in the file. */
export function capturing(child: Child): Promise<void> {
  return waitFor(() => child.stderr.includes('Capturing on') || child.proc.exitCode !== null, '"Capturing on"', WAIT_MS, child);
}

export async function exitOf(child: Child, ms = WAIT_MS): Promise<number | null> {
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), ms);
  const { code } = await child.exited;
  clearTimeout(timer);
  return code;
}

// ----------------------------------------------------------------------------------------------------------
// Reading back

export interface ReadBack {
  sections: CaptureSection[];
  interfaces: CaptureInterface[];
  packets: { tsSec: number; tsNsec: number; originalLength: number; data: Buffer }[];
  statistics: InterfaceStatistics[];
}

export function readCapture(bytes: Uint8Array): ReadBack {
  const out: ReadBack = { sections: [], interfaces: [], packets: [], statistics: [] };
  const reader = new CaptureReader({
    section: (s) => out.sections.push(s),
    interface: (i) => out.interfaces.push(i),
    packet: (p) =>
      out.packets.push({ tsSec: p.tsSec, tsNsec: p.tsNsec, originalLength: p.originalLength, data: Buffer.from(p.data) }),
    statistics: (s) => out.statistics.push(s),
  });
  reader.push(bytes);
  reader.end();
  return out;
}

export interface Segment {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** Ethernet (lo's link type) + IPv4 + TCP: the ports and payload of each packet; undefined for anything else. */
export function tcpSegment(frame: Buffer): Segment | undefined {
  if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== 0x0800) return undefined;
  const ip = frame.subarray(14);
  const ihl = (ip[0] & 0x0f) * 4;
  if (ip[9] !== 6 || ip.length < ihl + 20) return undefined;
  const total = Math.min(ip.readUInt16BE(2), ip.length);
  const tcp = ip.subarray(ihl, total);
  const off = (tcp[12] >> 4) * 4;
  return { srcPort: tcp.readUInt16BE(0), dstPort: tcp.readUInt16BE(2), payload: tcp.subarray(off) };
}

/** Every TCP payload byte of the capture, in order: gRPC message bodies are plain bytes in it. */
export function allPayload(read: ReadBack): Buffer {
  return Buffer.concat(read.packets.map((p) => tcpSegment(p.data)?.payload ?? Buffer.alloc(0)));
}

/** The text of a pcapng option. */
export function optionText(options: { code: number; value: Uint8Array }[], code: number): string | undefined {
  const o = options.find((x) => x.code === code);
  return o ? Buffer.from(o.value).toString('utf8') : undefined;
}
