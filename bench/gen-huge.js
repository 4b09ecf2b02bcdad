'use strict';
// Writes bench/out/huge.pcapng: bench/out/dense.pcapng repeated until the file passes 1 GB, each repetition
// shifted in time (it starts 1 s after the previous one ended) and given its own client ports, so every
// repetition is a new set of TCP connections with the same calls. The capture of issue 7 on which memory must
// stay flat: the same traffic as dense, 60-odd times over.
//
//   node bench/gen-huge.js [--in bench/out/dense.pcapng] [--out bench/out/huge.pcapng] [--size-mb 1050]
//                          [--reps N] [--port P] [--writer auto|project|builtin] [--dist DIR]
//
// Only the TCP ports of client-side packets are changed (checksums are left as they are: tshark does not verify
// them by default, and loopback captures carry partial checksums anyway); repetition 0 is the input unchanged.
// The server port comes from the input's sidecar (dense.json), else from its capture filter (`tcp port P`),
// else --port. Memory is bounded: the input is read in 1 MiB chunks, once per repetition, and the output is
// written through one 4 MiB buffer.
//
// Writer: with `project` (the default when dist/pcap/writer.js and dist/pcap/reader.js exist, i.e. after
// `npm run build`) packets go through grpctk's own CaptureReader and PcapngWriter; `builtin` copies pcapng
// blocks itself, patching timestamps and ports in place (for a checkout that is not built yet). Both write the
// same packets with the same timestamps.

const fs = require('node:fs');
const path = require('node:path');
const { OUT_DIR, ROOT, parseArgs, readMeta, writeMeta, mb, count, log, ipOffset, Output, readChunks } = require('./lib');

const USAGE = `usage: node bench/gen-huge.js [--in FILE] [--out FILE] [--size-mb N | --reps N] [--port P]
                                [--writer auto|project|builtin] [--dist DIR]`;

/** Gap between the end of one repetition and the start of the next. */
const REPETITION_GAP_NS = 1_000_000_000n;
/** New client ports are taken from here upward (below it: well-known and registered ports of real services). */
const FIRST_NEW_PORT = 20000;

// ---------------------------------------------------------------------------------------------------------
// Finding the TCP ports of a packet.

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) this script can patch. */
const IPPROTO_TCP = 6;

/**
 * Offset of the TCP header in a packet of `linkType`, or -1 when the packet is not TCP over IPv4/IPv6 (or is a
 * non-first IPv4 fragment, or IPv6 with extension headers: never seen in these loopback captures).
 */
function tcpOffset(d, linkType) {
  const ip = ipOffset(d, linkType);
  if (ip < 0) return -1;
  const version = d[ip] >> 4;
  if (version === 4) {
    if (d.length < ip + 20 || d[ip + 9] !== IPPROTO_TCP) return -1;
    const fragOffset = ((d[ip + 6] & 0x1f) << 8) | d[ip + 7];
    if (fragOffset !== 0) return -1;
    const tcp = ip + (d[ip] & 0x0f) * 4;
    return d.length >= tcp + 4 ? tcp : -1;
  }
  if (version === 6) {
    if (d.length < ip + 40 || d[ip + 6] !== IPPROTO_TCP) return -1;
    return d.length >= ip + 44 ? ip + 40 : -1;
  }
  return -1;
}

/**
 * Client ports per repetition. Repetition 0 keeps the input's ports; repetition r ≥ 1 maps the input's j-th
 * client port (in order of first appearance) to a port never used before, counting up from FIRST_NEW_PORT and
 * skipping the server port and the input's own client ports. When the ports run out (over 45,000 connections)
 * it starts again from FIRST_NEW_PORT: by then the connections that used them are long closed.
 */
class PortPlan {
  constructor(serverPort, clientPorts) {
    this.serverPort = serverPort;
    this.index = new Map(clientPorts.map((p, j) => [p, j]));
    this.avoid = new Set([serverPort, ...clientPorts]);
    this.next = FIRST_NEW_PORT;
    this.table = new Uint16Array(clientPorts.length);
    this.wrapped = false;
  }

  /** Ports of repetition `rep` (call once per repetition, in order). */
  startRepetition(rep) {
    for (const [port, j] of this.index) {
      if (rep === 0) {
        this.table[j] = port;
        continue;
      }
      while (this.avoid.has(this.next) || this.next > 65535) {
        if (this.next > 65535) {
          this.next = FIRST_NEW_PORT;
          this.wrapped = true;
        } else {
          this.next++;
        }
      }
      this.table[j] = this.next++;
    }
  }

  /** Rewrites the client port of the TCP header at `tcp` in `d` (the one that is not the server's). */
  patch(d, tcp) {
    const src = (d[tcp] << 8) | d[tcp + 1];
    const dst = (d[tcp + 2] << 8) | d[tcp + 3];
    const at = src === this.serverPort ? tcp + 2 : dst === this.serverPort ? tcp : -1;
    if (at < 0) return false;
    const j = this.index.get((d[at] << 8) | d[at + 1]);
    if (j === undefined) return false;
    const port = this.table[j];
    d[at] = port >> 8;
    d[at + 1] = port & 0xff;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The built-in pcapng block walker (used when the project is not built). Little- or big-endian sections,
// one section only; blocks are copied whole, EPB timestamps and TCP ports patched in place.

const BlockType = { SHB: 0x0a0d0d0a, IDB: 1, SPB: 3, ISB: 5, EPB: 6 };
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB_OPTION_TSRESOL = 9;

/** Walks the pcapng blocks of `file`, calling `block(type, bytes, dv, le)` with each whole block. */
function walkBlocks(file, block) {
  let carry = Buffer.alloc(0);
  let le = true;
  let sections = 0;
  readChunks(file, (chunk) => {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let pos = 0;
    while (buf.length - pos >= 12) {
      const dv = new DataView(buf.buffer, buf.byteOffset + pos, buf.length - pos);
      let type = dv.getUint32(0, le);
      if (type === BlockType.SHB) {
        le = dv.getUint32(8, true) === BYTE_ORDER_MAGIC;
        if (!le && dv.getUint32(8, false) !== BYTE_ORDER_MAGIC) throw new Error(`${file}: not a pcapng file`);
        if (++sections > 1) throw new Error(`${file}: more than one pcapng section (use --writer project)`);
      } else if (pos === 0 && sections === 0) {
        throw new Error(`${file}: not a pcapng file (pcap input needs --writer project)`);
      }
      const total = dv.getUint32(4, le);
      if (total < 12 || total % 4 !== 0) throw new Error(`${file}: bad block length ${total}`);
      if (buf.length - pos < total) break;
      block(type, buf.subarray(pos, pos + total), new DataView(buf.buffer, buf.byteOffset + pos, total), le);
      pos += total;
    }
    carry = Buffer.from(buf.subarray(pos));
  });
  if (carry.length > 0) throw new Error(`${file}: truncated block at the end`);
}

/** Ticks per second of an IDB's if_tsresol (default microseconds). */
function idbTicksPerSecond(dv, le) {
  let p = 16;
  while (p + 4 <= dv.byteLength - 4) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === 0) break;
    if (code === IDB_OPTION_TSRESOL && len >= 1) {
      const v = dv.getUint8(p + 4);
      return v & 0x80 ? 2n ** BigInt(v & 0x7f) : 10n ** BigInt(v);
    }
    p += 4 + ((len + 3) & ~3);
  }
  return 1_000_000n;
}

/** First pass, built-in: client ports, first/last timestamp (ns), packets, server port from if_filter. */
function scanBuiltin(file, serverPort) {
  const tps = [];
  const linkTypes = [];
  let first = null;
  let last = null;
  let packets = 0;
  let filterPort = null;
  const clients = [];
  const seen = new Set();
  const pending = [];
  walkBlocks(file, (type, bytes, dv, le) => {
    if (type === BlockType.IDB) {
      linkTypes.push(dv.getUint16(8, le));
      tps.push(idbTicksPerSecond(dv, le));
      const f = /tcp port (\d+)/.exec(bytes.toString('latin1'));
      if (f && filterPort === null) filterPort = Number(f[1]);
    } else if (type === BlockType.EPB) {
      packets++;
      const iface = dv.getUint32(8, le);
      const ticks = (BigInt(dv.getUint32(12, le)) << 32n) | BigInt(dv.getUint32(16, le));
      const ns = (ticks * 1_000_000_000n) / tps[iface];
      if (first === null || ns < first) first = ns;
      if (last === null || ns > last) last = ns;
      const caplen = dv.getUint32(20, le);
      const d = bytes.subarray(28, 28 + caplen);
      const tcp = tcpOffset(d, linkTypes[iface]);
      if (tcp >= 0) pending.push([(d[tcp] << 8) | d[tcp + 1], (d[tcp + 2] << 8) | d[tcp + 3]]);
    }
  });
  serverPort ??= filterPort;
  for (const [src, dst] of pending) {
    const client = src === serverPort ? dst : dst === serverPort ? src : null;
    if (client !== null && !seen.has(client)) {
      seen.add(client);
      clients.push(client);
    }
  }
  return { serverPort, clients, first, last, packets };
}

function writeBuiltin(input, out, reps, plan, shiftNs) {
  const tps = [];
  const linkTypes = [];
  let packets = 0;
  let unpatched = 0;
  for (let rep = 0; rep < reps; rep++) {
    plan.startRepetition(rep);
    const shift = BigInt(rep) * shiftNs;
    let iface = 0;
    walkBlocks(input, (type, bytes, dv, le) => {
      switch (type) {
        case BlockType.IDB:
          if (rep === 0) {
            linkTypes.push(dv.getUint16(8, le));
            tps.push(idbTicksPerSecond(dv, le));
            out.write(bytes);
          }
          iface++;
          return;
        case BlockType.EPB: {
          const id = dv.getUint32(8, le);
          if (rep > 0) {
            const ticks = (BigInt(dv.getUint32(12, le)) << 32n) | BigInt(dv.getUint32(16, le));
            const shifted = ticks + (shift * tps[id]) / 1_000_000_000n;
            dv.setUint32(12, Number(shifted >> 32n), le);
            dv.setUint32(16, Number(shifted & 0xffffffffn), le);
          }
          const caplen = dv.getUint32(20, le);
          const d = bytes.subarray(28, 28 + caplen);
          const tcp = tcpOffset(d, linkTypes[id]);
          if (rep > 0 && (tcp < 0 || !plan.patch(d, tcp))) unpatched++;
          packets++;
          out.write(bytes);
          return;
        }
        case BlockType.SPB:
          // No timestamp and no interface id: copied once, never repeated.
          if (rep === 0) {
            packets++;
            out.write(bytes);
          }
          return;
        case BlockType.ISB:
          // Interface statistics of one recording would be wrong for the whole file: left out.
          return;
        default:
          // SHB, name resolution, secrets, custom blocks: once, from the first repetition.
          if (rep === 0) out.write(bytes);
      }
    });
    if (iface !== tps.length) throw new Error(`${input}: changed while being read`);
  }
  return { packets, unpatched };
}

// ---------------------------------------------------------------------------------------------------------
// The project's reader and writer (dist/pcap/*.js).

function loadProject(distDir) {
  const reader = path.join(distDir, 'pcap', 'reader.js');
  const writer = path.join(distDir, 'pcap', 'writer.js');
  if (!fs.existsSync(reader) || !fs.existsSync(writer)) return null;
  const { CaptureReader } = require(reader);
  const { PcapngWriter, interfaceFromCapture, sectionFromCapture } = require(writer);
  return { CaptureReader, PcapngWriter, interfaceFromCapture, sectionFromCapture };
}

function scanProject(project, file, serverPort) {
  let first = null;
  let last = null;
  let packets = 0;
  let filterPort = null;
  const pending = [];
  const reader = new project.CaptureReader({
    interface(iface) {
      const f = /tcp port (\d+)/.exec(iface.filter ?? '');
      if (f && filterPort === null) filterPort = Number(f[1]);
    },
    packet(p) {
      packets++;
      const ns = BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec);
      if (first === null || ns < first) first = ns;
      if (last === null || ns > last) last = ns;
      const tcp = tcpOffset(p.data, p.linkType);
      if (tcp >= 0) pending.push([(p.data[tcp] << 8) | p.data[tcp + 1], (p.data[tcp + 2] << 8) | p.data[tcp + 3]]);
    },
  });
  readChunks(file, (c) => reader.push(c));
  reader.end();
  serverPort ??= filterPort;
  const clients = [];
  const seen = new Set();
  for (const [src, dst] of pending) {
    const client = src === serverPort ? dst : dst === serverPort ? src : null;
    if (client !== null && !seen.has(client)) {
      seen.add(client);
      clients.push(client);
    }
  }
  return { serverPort, clients, first, last, packets };
}

function writeProject(project, input, out, reps, plan, shiftNs) {
  let writer = null;
  const ids = new Map();
  let packets = 0;
  let unpatched = 0;
  let skipped = 0;
  for (let rep = 0; rep < reps; rep++) {
    plan.startRepetition(rep);
    const shift = BigInt(rep) * shiftNs;
    const shiftSec = Number(shift / 1_000_000_000n);
    const shiftNsec = Number(shift % 1_000_000_000n);
    const reader = new project.CaptureReader({
      section(s) {
        if (s.index > 0) throw new Error(`${input}: more than one pcapng section`);
        if (rep === 0) writer = new project.PcapngWriter((b) => out.write(b), project.sectionFromCapture(s));
      },
      interface(iface) {
        if (rep === 0) ids.set(iface.id, writer.addInterface(project.interfaceFromCapture(iface)));
      },
      packet(p) {
        const id = ids.get(p.interfaceId);
        if (id === undefined) {
          skipped++; // a Simple Packet Block has no interface to write it on
          return;
        }
        // p.data is a view into this script's own read buffer: patched in place, then copied by the writer.
        const tcp = tcpOffset(p.data, p.linkType);
        if (rep > 0 && (tcp < 0 || !plan.patch(p.data, tcp))) unpatched++;
        let sec = p.tsSec + shiftSec;
        let nsec = p.tsNsec + shiftNsec;
        if (nsec >= 1e9) {
          nsec -= 1e9;
          sec += 1;
        }
        writer.writePacket(id, { tsSec: sec, tsNsec: nsec, originalLength: p.originalLength, data: p.data, options: p.options });
        packets++;
      },
    });
    readChunks(input, (c) => reader.push(c));
    reader.end();
  }
  return { packets, unpatched, skipped };
}

// ---------------------------------------------------------------------------------------------------------

function main() {
  const opts = parseArgs(
    process.argv.slice(2),
    {
      in: path.join(OUT_DIR, 'dense.pcapng'),
      out: path.join(OUT_DIR, 'huge.pcapng'),
      sizeMb: 1050,
      reps: 0,
      port: 0,
      writer: 'auto',
      dist: path.join(ROOT, 'dist'),
    },
    USAGE,
  );
  const input = path.resolve(opts.in);
  const output = path.resolve(opts.out);
  if (!fs.existsSync(input)) throw new Error(`no input ${path.relative(process.cwd(), input)}: run bench/gen-dense.js first`);
  const meta = readMeta(input);
  const project = opts.writer === 'builtin' ? null : loadProject(path.resolve(opts.dist));
  if (opts.writer === 'project' && project === null) {
    throw new Error(`--writer project: ${opts.dist}/pcap/{reader,writer}.js not found (run npm run build)`);
  }
  if (!['auto', 'project', 'builtin'].includes(opts.writer)) throw new Error(`--writer: auto, project or builtin`);

  const t0 = Date.now();
  const portHint = opts.port || meta?.port || null;
  const scan = project ? scanProject(project, input, portHint) : scanBuiltin(input, portHint);
  if (!scan.serverPort) throw new Error(`${input}: server port unknown (no sidecar, no 'tcp port P' filter): pass --port`);
  if (scan.clients.length === 0) throw new Error(`${input}: no TCP packets to or from port ${scan.serverPort}`);
  const inBytes = fs.statSync(input).size;
  const reps = opts.reps > 0 ? opts.reps : Math.ceil((opts.sizeMb * 1e6) / inBytes);
  const shiftNs = scan.last - scan.first + REPETITION_GAP_NS;
  const plan = new PortPlan(scan.serverPort, scan.clients);

  const tmp = `${output}.tmp`;
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const out = new Output(tmp);
  let result;
  try {
    result = project ? writeProject(project, input, out, reps, plan, shiftNs) : writeBuiltin(input, out, reps, plan, shiftNs);
    out.close();
  } catch (err) {
    out.close();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, output);
  const bytes = fs.statSync(output).size;
  const sidecar = {
    name: 'huge',
    file: path.relative(ROOT, output),
    describe: `${path.basename(input)} repeated ${reps} times, shifted in time and client ports`,
    source: path.relative(ROOT, input),
    repetitions: reps,
    writer: project ? 'project' : 'builtin',
    port: scan.serverPort,
    connections: scan.clients.length * reps,
    calls: meta?.calls != null ? meta.calls * reps : null,
    messages: meta?.messages != null ? meta.messages * reps : null,
    packets: result.packets,
    bytes,
    seconds: (Date.now() - t0) / 1000,
    recorded: new Date().toISOString(),
  };
  writeMeta(output, sidecar);
  if (result.unpatched) log(`warning: ${result.unpatched} packets not to or from port ${scan.serverPort} were copied unchanged`);
  if (result.skipped) log(`warning: ${result.skipped} packets without an interface (Simple Packet Blocks) left out`);
  if (plan.wrapped) log(`note: client ports ran out and were reused (more than ${65536 - FIRST_NEW_PORT} connections)`);
  log(
    `huge: wrote ${sidecar.file}: ${mb(bytes)} MB, ${count(sidecar.packets)} packets, ${reps} repetitions of ` +
      `${path.basename(input)} (${scan.clients.length} connections each), ${count(sidecar.calls)} calls, ` +
      `${count(sidecar.messages)} gRPC messages, ${sidecar.writer} writer, in ${sidecar.seconds.toFixed(1)} s`,
  );
}

try {
  main();
} catch (err) {
  log(`gen-huge: ${err.message}`);
  process.exit(1);
}
