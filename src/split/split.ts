/**
 * grpctk split: a capture cut into pcapng parts, by connection, server, client, gRPC method, packet count,
 * size or time (anchors: editcap -c / -i, PcapPlusPlus's PcapSplitter).
 *
 * Every part holds the original packets byte for byte, with their timestamps to the nanosecond, their
 * interfaces (every IDB option) and their options (comments, flags), in capture order. The parts together
 * hold every packet that passed the filters: packets that are not TCP go to a `non-tcp` part (unless
 * --tcp-only), and with --by method packets no method needs (pure ACKs, retransmissions…) go to `other`.
 *
 * count, size and time read the input once. The keyed splits read it twice (./analyze.ts says why); standard
 * input and pipes are first copied to a temporary file. Memory stays bounded: slots are on disk, open parts
 * are limited (./parts.ts), per connection a few bytes are kept.
 */
import type { UnrecognisedCounters } from '../detect/unrecognised';
import { readKeyLogFiles, type KeyLog } from '../tls/keylog';
import { tlsWarnings } from '../tls/summary';
import { DSB_SECRETS_TYPE_TLS } from '../pcap/constants';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { InputError } from '../errors';
import { formatTimestamp } from '../records/time';
import { readCapture } from '../input/open';
import { PacketDecoder } from '../net/decode';
import type { CaptureInterface, CaptureSection, CaptureSink, Packet } from '../pcap/types';
import { PcapngWriter, interfaceFromCapture, sectionFromCapture } from '../pcap/writer';
import type { WriterSection } from '../pcap/writer-api';
import type { AssemblerOptions } from '../tcp/types';
import { formatEndpoint } from '../tcp/types';
import type { Http2Options } from '../http2/types';
import { Analyzer, type AnalyzerCounters, ConnTable, MethodRegistry } from './analyze';
import { DEFAULT_NAME_TEMPLATE, NameTemplate } from './names';
import { type Part, PartPool, type PartIndexRecord, openOutputDir } from './parts';
import { SlotKind, SlotReader, SlotWriter } from './slots';
import { formatInteger } from '../units';

export type SplitBy = 'connection' | 'server' | 'client' | 'method' | 'count' | 'size' | 'time';
export const SPLIT_MODES: readonly SplitBy[] = ['connection', 'server', 'client', 'method', 'count', 'size', 'time'];

/** Key of the part holding packets that are not TCP segments. */
export const NON_TCP_KEY = 'non-tcp';
/** Key of the `--by method` part holding packets no method part needs. */
export const OTHER_KEY = 'other';

/** Template fields each mode fills, besides {index} and {key}. */
export const NAME_FIELDS: Readonly<Record<SplitBy, readonly string[]>> = {
  connection: ['key', 'client', 'server', 'stream'],
  server: ['key', 'server'],
  client: ['key', 'client'],
  method: ['key', 'method'],
  count: ['key'],
  size: ['key'],
  time: ['key'],
};

export interface SplitFilter {
  /** --host/--port: either end of a connection. */
  matchConnection(client: string, server: string): boolean;
  /** --host or --port was given (non-TCP packets then belong to no matching connection). */
  connectionFilter: boolean;
  /** --method globs (matched against the full path), or null. */
  methods: RegExp[] | null;
  /** --since (inclusive) / --until (exclusive), epoch nanoseconds. */
  since: bigint | null;
  until: bigint | null;
}

export interface SplitOptions {
  by: SplitBy;
  input: string;
  outDir: string;
  /** --count: packets per part. */
  count?: number;
  /** --size: largest part, in bytes (a part always holds at least one packet). */
  size?: number;
  /** --interval: nanoseconds each part covers. */
  intervalNs?: bigint;
  /** --name (default DEFAULT_NAME_TEMPLATE). */
  name?: string;
  tcpOnly?: boolean;
  force?: boolean;
  maxOpenFiles?: number;
  filter?: SplitFilter;
  http2?: Http2Options;
  assembler?: AssemblerOptions;
  /** Called once per part, when it is complete. */
  onPart(record: PartIndexRecord): void;
  onProgress?(bytesRead: number, totalBytes: number | undefined, pass: 1 | 2): void;
  /** Directory for temporary files (default os.tmpdir()). */
  tmpDir?: string;
  /** --tls-keylog files: TLS connections are decoded (--by method) and their secrets copied into the parts. */
  tlsKeylogs?: string[];
}

export interface SplitSummary {
  parts: number;
  packets: number;
  /** Packet writes (a packet shared by several method parts counts once per part). */
  written: number;
  /** Most part files open at once. */
  peakOpenFiles: number;
  analysis?: AnalyzerCounters & { methodsOverLimit: number };
  /** Keyed modes: connections not read as HTTP/2, by reason (no method could be read from them). */
  unrecognised?: UnrecognisedCounters;
  /** Server ports of the HTTP/2 connections, with counts. */
  http2ServerPorts?: ReadonlyMap<number, number>;
  /** One line each, for stderr. */
  warnings: string[];
}

const NO_FILTER: SplitFilter = { matchConnection: () => true, connectionFilter: false, methods: null, since: null, until: null };

export async function split(options: SplitOptions): Promise<SplitSummary> {
  if (options.by === 'count' && !(options.count! >= 1)) throw new RangeError('split: --count must be at least 1');
  if (options.by === 'size' && !(options.size! >= 1)) throw new RangeError('split: --size must be at least 1');
  if (options.by === 'time' && !(options.intervalNs! > 0n)) throw new RangeError('split: --interval must be positive');
  const template = new NameTemplate(options.name ?? DEFAULT_NAME_TEMPLATE, NAME_FIELDS[options.by]);
  openOutputDir(options.outDir, Boolean(options.force));
  const keyed = options.by !== 'count' && options.by !== 'size' && options.by !== 'time';
  const output = new Output(options, template);
  try {
    const summary = keyed ? await keyedSplit(options, output) : await sequentialSplit(options, output);
    output.pool.close();
    summary.parts = output.pool.count;
    summary.peakOpenFiles = output.pool.peakOpen;
    return summary;
  } catch (err) {
    if (err instanceof InputError) {
      // The input is damaged or cut short: the parts keep every packet before the fault, complete.
      try {
        output.pool.close();
      } catch {
        output.pool.abort();
      }
    } else {
      output.pool.abort();
    }
    throw err;
  }
}

/** The pool of parts, and what every part copies from the input: its first section header, its interfaces. */
class Output {
  readonly pool: PartPool;
  private section: WriterSection = {};
  private sectionSeen = false;
  readonly interfaces: CaptureInterface[] = [];
  written = 0;

  constructor(options: SplitOptions, template: NameTemplate) {
    const self = this;
    this.pool = new PartPool({
      dir: options.outDir,
      template,
      get section() {
        return self.section;
      },
      maxOpenFiles: options.maxOpenFiles,
      force: options.force,
      onFinished: options.onPart,
    });
  }

  onSection(s: CaptureSection): void {
    // One section per part: the first section's header describes them all (hardware, OS, application).
    if (this.sectionSeen) return;
    this.sectionSeen = true;
    this.section = sectionFromCapture(s);
  }

  onInterface(iface: CaptureInterface): void {
    // Option values may be views into the chunk being parsed: keep copies.
    this.interfaces[iface.id] = { ...iface, options: iface.options.map((o) => ({ code: o.code, value: o.value.slice() })) };
  }

  write(part: Part, p: Packet): void {
    this.pool.write(part, p, this.interfaces[p.interfaceId]);
    this.written++;
  }
}

// ---------------------------------------------------------------------------------------------------------
// count, size, time: one pass.

/** --by count|size|time: most bytes of TLS secrets (the input's DSBs) kept to copy into every part. */
export const MAX_COPIED_SECRETS_BYTES = 16 * 1024 * 1024;

async function sequentialSplit(o: SplitOptions, out: Output): Promise<SplitSummary> {
  const filter = o.filter ?? NO_FILTER;
  const needNet = Boolean(o.tcpOnly) || filter.connectionFilter;
  const net = needNet ? new PacketDecoder() : null;
  const interval = o.intervalNs ?? 0n;
  let part: Part | null = null;
  /** time: end of the current part's interval (exclusive), epoch ns; start of the first interval. */
  let intervalEnd = 0n;
  let origin = -1n;
  let packets = 0;
  const idbBytes = new Map<number, number>();
  // TLS secrets of the input (DSBs): every part gets those read so far when it starts, and later ones as they
  // come, so a part decrypts on its own as the whole did. Bounded by MAX_COPIED_SECRETS_BYTES.
  let secrets = '';
  let secretsDropped = false;
  const startPart = (p: Part): Part => {
    if (secrets.length > 0) out.pool.writeSecrets(p, secrets);
    return p;
  };

  const sink: CaptureSink = {
    section: (s) => out.onSection(s),
    interface: (i) => out.onInterface(i),
    secrets: (d) => {
      if (d.secretsType !== DSB_SECRETS_TYPE_TLS) return;
      const text = Buffer.from(d.data).toString('utf8');
      if (secrets.length + text.length > MAX_COPIED_SECRETS_BYTES) {
        secretsDropped = true;
        return;
      }
      secrets += text.endsWith('\n') ? text : text + '\n';
      if (part !== null) out.pool.writeSecrets(part, text);
    },
    packet: (p) => {
      packets++;
      if (net !== null) {
        const seg = net.decode(p);
        if (seg === undefined) {
          if (o.tcpOnly || filter.connectionFilter) return;
        } else if (!filter.matchConnection(formatEndpoint({ addr: seg.src, port: seg.srcPort }), formatEndpoint({ addr: seg.dst, port: seg.dstPort }))) {
          return;
        }
      }
      const t = timeNs(p);
      if ((filter.since !== null && t < filter.since) || (filter.until !== null && t >= filter.until)) return;
      switch (o.by) {
        case 'count':
          if (part !== null && part.packets >= o.count!) {
            out.pool.finish(part);
            part = null;
          }
          break;
        case 'size': {
          if (part !== null && part.packets > 0) {
            let need = epbBytes(p);
            if (!part.interfaces.has(p.interfaceId)) need += interfaceBytes(idbBytes, out.interfaces[p.interfaceId], p);
            if (part.bytes + need > o.size!) {
              out.pool.finish(part);
              part = null;
            }
          }
          break;
        }
        case 'time': {
          if (origin < 0n) origin = t;
          // Intervals start at the first packet and only move forward (as editcap -i): a packet stamped
          // before the current interval (an unsorted capture) stays in the current part.
          if (part !== null && t >= intervalEnd) {
            out.pool.finish(part);
            part = null;
          }
          if (part === null) {
            const k = t >= origin ? (t - origin) / interval : 0n;
            const start = origin + k * interval;
            intervalEnd = start + interval;
            part = startPart(out.pool.create(compactTime(start), {}));
          }
          break;
        }
        default:
          break;
      }
      if (part === null) part = startPart(out.pool.create(compactTime(t), {}));
      out.write(part, p);
    },
  };
  await readCapture(o.input, sink, { onProgress: (r, total) => o.onProgress?.(r, total, 1) });
  const warnings = secretsDropped ? [`TLS secrets (DSBs) past ${MAX_COPIED_SECRETS_BYTES / (1024 * 1024)} MiB (MAX_COPIED_SECRETS_BYTES) not copied into the parts`] : [];
  return { parts: 0, packets, written: out.written, peakOpenFiles: 0, warnings };
}

/** Bytes of the Enhanced Packet Block the writer makes for `p` (pcapng section 4.3 and 3.5). */
export function epbBytes(p: Packet): number {
  let options = 0;
  const opts = p.options ?? optionsOf(p);
  let any = false;
  for (const o of opts) {
    if (o.code === 0) continue;
    any = true;
    options += 4 + ((o.value.length + 3) & ~3);
  }
  if (any) options += 4;
  return 28 + ((p.data.length + 3) & ~3) + options + 4;
}

function optionsOf(p: Packet): { code: number; value: Uint8Array }[] {
  const out: { code: number; value: Uint8Array }[] = [];
  for (const c of p.comments ?? []) out.push({ code: 1, value: Buffer.from(c, 'utf8') });
  if (p.flags !== undefined) out.push({ code: 2, value: new Uint8Array(4) });
  return out;
}

/** Bytes of the Interface Description Block a part gets for the packet's interface (measured once). */
function interfaceBytes(cache: Map<number, number>, iface: CaptureInterface | undefined, p: Packet): number {
  let n = cache.get(p.interfaceId);
  if (n === undefined) {
    let size = 0;
    const w = new PcapngWriter((b) => {
      size += b.length;
    });
    size = 0; // not the Section Header Block
    w.addInterface(iface ? interfaceFromCapture(iface) : { linkType: p.linkType, snapLen: 0, tsResolBase: 10, tsResolExp: 9 });
    n = size;
    cache.set(p.interfaceId, n);
  }
  return n;
}

function timeNs(p: Packet): bigint {
  return BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec);
}

/** ISO-8601 basic format, safe in file names: 20261121T033912.123456789Z. */
export function compactTime(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const nsec = ns - sec * 1_000_000_000n;
  return formatTimestamp(Number(sec), Number(nsec)).replace(/[-:]/g, '');
}

// ---------------------------------------------------------------------------------------------------------
// connection, server, client, method: two passes.

async function keyedSplit(o: SplitOptions, out: Output): Promise<SplitSummary> {
  const tmp = fs.mkdtempSync(path.join(o.tmpDir ?? os.tmpdir(), 'grpctk-split-'));
  try {
    const input = await rereadable(o.input, tmp);
    const filter = o.filter ?? NO_FILTER;
    const slotPath = path.join(tmp, 'slots');
    const slotFd = fs.openSync(slotPath, 'w+');
    try {
      // Pass 1: decode, one slot per packet.
      const slots = new SlotWriter(slotFd, slotPath);
      const byMethod = o.by === 'method';
      const analyzer = new Analyzer(slots, {
        byMethod,
        http2: o.http2 ?? {},
        assembler: o.assembler ?? {},
        matchConnection: filter.matchConnection,
        matchMethod: !byMethod && filter.methods ? (m) => filter.methods!.some((g) => g.test(m)) : undefined,
        keys: await readKeyLogFiles(o.tlsKeylogs ?? []),
      });
      let fault: unknown;
      try {
        await readCapture(input, analyzer, { onProgress: (r, total) => o.onProgress?.(r, total, 1) });
      } catch (err) {
        // A capture cut short or damaged: split what came before the fault, then report it.
        if (!(err instanceof InputError)) throw err;
        fault = err;
      }
      analyzer.finish();

      // Pass 2: every packet again, to the parts its slot names.
      const writer = new KeyedWriter(o, out, filter, analyzer.table, analyzer.methods, new SlotReader(slotFd, slots.count), analyzer.keys);
      try {
        await readCapture(input, writer, { onProgress: (r, total) => o.onProgress?.(r, total, 2) });
      } catch (err) {
        if (!(err instanceof InputError) || fault === undefined) throw err;
      }
      if (writer.slots.read !== slots.count) {
        throw new InputError('the input has fewer packets on the second reading than on the first (was it changed while split ran?)');
      }
      const summary: SplitSummary = {
        parts: 0,
        packets: slots.count,
        written: out.written,
        peakOpenFiles: 0,
        analysis: { ...analyzer.counters, methodsOverLimit: analyzer.methods.overLimit },
        unrecognised: analyzer.unrecognised,
        http2ServerPorts: analyzer.http2ServerPorts,
        warnings: [...(o.by === 'method' ? tlsWarnings(analyzer.tls, analyzer.keys).map((w) => `${w}; those packets went to the '${OTHER_KEY}' part`) : []), ...warningsOf(o.by, analyzer)],
      };
      if (fault !== undefined) throw fault;
      return summary;
    } finally {
      fs.closeSync(slotFd);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function warningsOf(by: SplitBy, a: Analyzer): string[] {
  const w: string[] = [];
  const n = (x: number) => formatInteger(x);
  if (by === 'method') {
    if (a.counters.unsyncedDirections > 0) {
      w.push(
        `${n(a.counters.unsyncedDirections)} HTTP/2 connection directions could not be followed frame by frame ` +
          '(start not captured, h2c upgrade, or lost segments): their packets went to every method part of their connection',
      );
    }
    if (a.counters.heldShared > 0) {
      w.push(`${n(a.counters.heldShared)} out-of-order packets went to every method part of their connection`);
    }
    if (a.methods.overLimit > 0) {
      w.push(`${n(a.methods.overLimit)} calls named a method past the first ${n(a.methods.names.length)}: their packets went to '${OTHER_KEY}'`);
    }
  }
  return w;
}

/**
 * A path that can be read twice: a regular file as it is; standard input, a pipe or a device copied first
 * into `tmp` (as read: a gzip stays compressed).
 */
async function rereadable(input: string, tmp: string): Promise<string> {
  if (input !== '-') {
    let st: fs.Stats;
    try {
      st = fs.statSync(input);
    } catch {
      return input; // readCapture reports it
    }
    if (st.isFile()) return input;
  }
  const copy = path.join(tmp, 'input');
  const source = input === '-' ? process.stdin : fs.createReadStream(input);
  try {
    await pipeline(source, fs.createWriteStream(copy));
  } catch (err) {
    throw new InputError(`cannot read ${input === '-' ? 'stdin' : input}: ${(err as Error).message} (while copying it to ${tmp})`);
  }
  return copy;
}

/** The parts that are not a connection, server, client or method fill every template field with their key. */
function specialFields(key: string): Record<string, string> {
  return { client: key, server: key, stream: key, method: key };
}

/** Pass 2: routes each packet to its parts. */
class KeyedWriter implements CaptureSink {
  private readonly net: PacketDecoder | null;
  /** Part of each connection still to come (pruned at its last packet). */
  private readonly byConn = new Map<number, Part>();
  private readonly byKey = new Map<string, Part>();
  private readonly byMethod = new Map<number, Part | null>();
  private nonTcp: Part | null = null;
  private other: Part | null = null;
  private readonly wantNonTcp: boolean;
  private readonly wantOther: boolean;

  constructor(
    private readonly o: SplitOptions,
    private readonly out: Output,
    private readonly filter: SplitFilter,
    private readonly table: ConnTable,
    private readonly methods: MethodRegistry,
    readonly slots: SlotReader,
    private readonly keys: KeyLog,
  ) {
    this.net = o.by === 'method' ? null : new PacketDecoder();
    this.wantNonTcp = !o.tcpOnly && !filter.connectionFilter && filter.methods === null;
    this.wantOther = filter.methods === null;
  }

  section(s: CaptureSection): void {
    this.out.onSection(s);
  }

  interface(i: CaptureInterface): void {
    this.out.onInterface(i);
  }

  packet(p: Packet): void {
    const slot = this.slots.next();
    // Keep the decoder's state (IP fragments) the same as in the first pass: it sees every packet.
    const seg = this.net?.decode(p);
    const f = this.filter;
    if (f.since !== null || f.until !== null) {
      const t = timeNs(p);
      if ((f.since !== null && t < f.since) || (f.until !== null && t >= f.until)) return;
    }
    if (slot.kind === SlotKind.NON_TCP) {
      if (!this.wantNonTcp) return;
      this.nonTcp ??= this.out.pool.create(NON_TCP_KEY, specialFields(NON_TCP_KEY));
      this.out.write(this.nonTcp, p);
      return;
    }
    const c = slot.conn;
    if (!this.table.keep[c]) return;
    if (this.o.by === 'method') {
      this.routeByMethod(p, slot.kind, c, slot.method);
      return;
    }
    let part = this.byConn.get(c);
    if (part === undefined) {
      part = this.partForConnection(c, slot.dir, seg?.src, seg?.srcPort, seg?.dst, seg?.dstPort);
      this.byConn.set(c, part);
    }
    this.secretsFor(part, c);
    this.out.write(part, p);
    if (p.number === this.table.lastPacket[c]) {
      this.byConn.delete(c);
      // A connection's part is complete after its last packet: close it and print its index line now.
      if (this.o.by === 'connection') this.out.pool.finish(part);
    }
  }

  private partForConnection(c: number, dir: number, src?: string, srcPort?: number, dst?: string, dstPort?: number): Part {
    let client: string;
    let server: string;
    let clientAddr: string;
    if (src === undefined || dst === undefined) {
      // Only when the decoder could not rebuild this packet alone (an IP fragment): name it by number.
      client = server = clientAddr = `tcp.stream-${c}`;
    } else {
      // endpoints[0] sent the packets of direction 0.
      const e0 = dir === 0 ? { addr: src, port: srcPort! } : { addr: dst, port: dstPort! };
      const e1 = dir === 0 ? { addr: dst, port: dstPort! } : { addr: src, port: srcPort! };
      const ci = this.table.clientIndex[c];
      const ce = ci === 0 ? e0 : e1;
      client = formatEndpoint(ce);
      server = formatEndpoint(ci === 0 ? e1 : e0);
      clientAddr = ce.addr;
    }
    switch (this.o.by) {
      case 'connection':
        return this.out.pool.create(`${client}-${server}`, { client, server, stream: String(c) });
      case 'server':
        return this.keyed(server, { server });
      default:
        return this.keyed(clientAddr, { client: clientAddr });
    }
  }

  private keyed(key: string, fields: Record<string, string>): Part {
    let part = this.byKey.get(key);
    if (part === undefined) {
      part = this.out.pool.create(key, fields);
      this.byKey.set(key, part);
    }
    return part;
  }

  private routeByMethod(p: Packet, kind: SlotKind, c: number, method: number): void {
    let wrote = false;
    if (kind === SlotKind.METHOD) {
      wrote = this.toMethod(p, method, c);
    } else if (kind === SlotKind.SHARED) {
      for (const m of this.methods.sets[this.table.methodSet[c]]) if (this.toMethod(p, m, c)) wrote = true;
    }
    if (wrote || !this.wantOther) return;
    // No method part holds it (a pure ACK, a retransmission, a connection that is not gRPC…).
    this.other ??= this.out.pool.create(OTHER_KEY, specialFields(OTHER_KEY));
    this.secretsFor(this.other, c);
    this.out.write(this.other, p);
  }

  /**
   * Before a TLS connection's first packet in a part, the secrets that decrypt it (from --tls-keylog and the
   * input's DSBs), as a DSB: each part then decrypts on its own. Only the secrets of the part's connections.
   */
  private secretsFor(part: Part, c: number): void {
    const random = this.table.clientRandom.get(c);
    if (random === undefined || part.secretRandoms.has(random)) return;
    part.secretRandoms.add(random);
    const lines = this.keys.linesFor(random);
    if (lines.length > 0) this.out.pool.writeSecrets(part, lines.join('\n') + '\n');
  }

  /** Writes `p` to method `m`'s part unless --method leaves the method out; true when written. */
  private toMethod(p: Packet, m: number, c: number): boolean {
    let part = this.byMethod.get(m);
    if (part === undefined) {
      const name = this.methods.names[m];
      const globs = this.filter.methods;
      part = globs === null || globs.some((g) => g.test(name)) ? this.out.pool.create(name, { method: name }) : null;
      this.byMethod.set(m, part);
    }
    if (part === null) return false;
    this.secretsFor(part, c);
    this.out.write(part, p);
    return true;
  }
}

export { ConnTable, MethodRegistry };
