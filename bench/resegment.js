'use strict';
// Re-segments a capture as if it had been taken on a network with a smaller MSS: every TCP segment whose
// payload is longer than --mss is written as several segments of at most --mss bytes each, with the same
// link, IP and TCP headers except for what must change. Used by gen-large.js (`--mss N`): grpc-js on loopback
// (MTU 65,536) sends 100 KB messages in 36–64 KB segments, 7,116 packets for 151 MB, while a capture taken on
// Ethernet (MSS 1,448) has ~25× more packets for the same bytes, and tshark's cost is mostly per packet.
//
//   node bench/resegment.js --in bench/out/large.pcapng --mss 2600 [--out bench/out/large-mss2600.pcapng]
//                           [--dist dist]
//
// For each piece k (0, 1, …) of a segment with sequence number S:
//   - TCP sequence number S + k·MSS (mod 2^32); PSH and FIN only on the last piece (FIN follows the data,
//     RFC 9293 section 3.4); the TCP checksum is computed in full (loopback captures carry partial ones);
//   - IPv4: total length, identification + k, header checksum recomputed (RFC 791 section 3.1);
//     IPv6: payload length (RFC 8200 section 3);
//   - timestamp: the original plus k ns, and never before the previous packet written, so the file stays in
//     time order (the pieces of one segment are 1 ns apart, as if sent back to back).
// Everything else (ACKs, window, options such as TCP timestamps, EPB options) is copied. Packets that are not
// TCP over IPv4/IPv6 on a link type this script knows, IP fragments, IPv6 with extension headers, and packets
// cut by the snaplen are copied unchanged.
//
// Goes through grpctk's own CaptureReader and PcapngWriter (dist/pcap/*.js, so `npm run build` first). Memory is
// bounded: the input is read in 1 MiB chunks and the output written through one 4 MiB buffer.

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, OUT_DIR, parseArgs, readMeta, writeMeta, mb, count, log, ipOffset, Output, readChunks } = require('./lib');

const USAGE = `usage: node bench/resegment.js --in FILE --mss BYTES [--out FILE] [--dist DIR]`;


/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) whose IP header this script can find. */
const IPPROTO_TCP = 6;
/** TCP flags (RFC 9293 section 3.1). */
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;

/**
 * Where the parts of a TCP packet are: { ip, v6, tcp, payload, end }, or null when the packet cannot be
 * re-segmented (not TCP, a fragment, IPv6 extension headers, lengths that do not add up).
 */
function tcpLayout(d, linkType) {
  const ip = ipOffset(d, linkType);
  if (ip < 0) return null;
  const version = d[ip] >> 4;
  let tcp;
  let end;
  if (version === 4) {
    if (d.length < ip + 20 || d[ip + 9] !== IPPROTO_TCP) return null;
    const flagsFrag = (d[ip + 6] << 8) | d[ip + 7];
    if ((flagsFrag & 0x3fff) !== 0) return null; // MF set or a fragment offset: a fragment
    tcp = ip + (d[ip] & 0x0f) * 4;
    end = ip + ((d[ip + 2] << 8) | d[ip + 3]);
  } else if (version === 6) {
    if (d.length < ip + 40 || d[ip + 6] !== IPPROTO_TCP) return null;
    tcp = ip + 40;
    end = tcp + ((d[ip + 4] << 8) | d[ip + 5]);
  } else {
    return null;
  }
  if (d.length < tcp + 20 || end > d.length) return null;
  const payload = tcp + (d[tcp + 12] >> 4) * 4;
  if (payload > end) return null;
  return { ip, v6: version === 6, tcp, payload, end };
}

/** Ones' complement sum of `d[from..to)` added to `sum` (RFC 1071), not yet folded. */
function sum16(d, from, to, sum) {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (d[i] << 8) | d[i + 1];
  if (i < to) sum += d[i] << 8;
  return sum;
}

function fold(sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Sets the IPv4 header checksum of the header at `ip` (RFC 791 section 3.1). */
function setIpv4Checksum(d, ip) {
  d[ip + 10] = 0;
  d[ip + 11] = 0;
  const c = ~fold(sum16(d, ip, ip + (d[ip] & 0x0f) * 4, 0)) & 0xffff;
  d[ip + 10] = c >> 8;
  d[ip + 11] = c & 0xff;
}

/** Sets the TCP checksum of the segment `d[l.tcp..l.end)` with its pseudo-header (RFC 9293 section 3.1). */
function setTcpChecksum(d, l) {
  d[l.tcp + 16] = 0;
  d[l.tcp + 17] = 0;
  const len = l.end - l.tcp;
  let sum = l.v6 ? sum16(d, l.ip + 8, l.ip + 40, 0) : sum16(d, l.ip + 12, l.ip + 20, 0);
  sum += IPPROTO_TCP + len;
  sum = sum16(d, l.tcp, l.end, sum);
  const c = ~fold(sum) & 0xffff || 0xffff;
  d[l.tcp + 16] = c >> 8;
  d[l.tcp + 17] = c & 0xff;
}


/**
 * Writes `input` re-segmented to `output` (through `output`.tmp, renamed at the end). Returns
 * { packetsIn, packetsOut, split, copied, skipped }.
 */
function resegment({ input, output, mss, dist = path.join(ROOT, 'dist') }) {
  if (!Number.isInteger(mss) || mss < 1 || mss > 65495) throw new Error(`--mss must be 1 to 65495 bytes, got ${mss}`);
  const reader = path.join(dist, 'pcap', 'reader.js');
  const writerJs = path.join(dist, 'pcap', 'writer.js');
  if (!fs.existsSync(reader) || !fs.existsSync(writerJs)) throw new Error(`${dist}/pcap/{reader,writer}.js not found (run npm run build)`);
  const { CaptureReader } = require(reader);
  const { PcapngWriter, interfaceFromCapture, sectionFromCapture } = require(writerJs);

  const tmp = `${output}.tmp`;
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const out = new Output(tmp);
  const stats = { packetsIn: 0, packetsOut: 0, split: 0, copied: 0, skipped: 0 };
  let writer = null;
  const ids = new Map();
  // The last timestamp written (ns, as a pair to stay exact): pieces never go before it.
  let lastSec = -Infinity;
  let lastNsec = 0;
  // One scratch packet, big enough for any header + one piece; the writer copies what it is given.
  let scratch = new Uint8Array(0);

  const write = (id, p, data, sec, nsec) => {
    if (sec < lastSec || (sec === lastSec && nsec < lastNsec)) {
      sec = lastSec;
      nsec = lastNsec;
    }
    lastSec = sec;
    lastNsec = nsec;
    writer.writePacket(id, { tsSec: sec, tsNsec: nsec, originalLength: data.length, data, options: p.options });
    stats.packetsOut++;
  };

  try {
    const r = new CaptureReader({
      section(s) {
        if (s.index > 0) throw new Error(`${input}: more than one pcapng section`);
        writer = new PcapngWriter((b) => out.write(b), sectionFromCapture(s));
      },
      interface(iface) {
        ids.set(iface.id, writer.addInterface(interfaceFromCapture(iface)));
      },
      packet(p) {
        stats.packetsIn++;
        const id = ids.get(p.interfaceId);
        if (id === undefined) {
          stats.skipped++; // a Simple Packet Block has no interface to write it on
          return;
        }
        const d = p.data;
        const l = p.capturedLength === p.originalLength ? tcpLayout(d, p.linkType) : null;
        if (l === null || l.end - l.payload <= mss) {
          stats.copied++;
          write(id, p, d, p.tsSec, p.tsNsec);
          return;
        }
        stats.split++;
        const head = l.payload; // link + IP + TCP headers, copied into every piece
        const trailer = d.subarray(l.end); // Ethernet padding or trailers, if any: kept on every piece
        if (scratch.length < head + mss + trailer.length) scratch = new Uint8Array(head + mss + trailer.length);
        const seq0 = ((d[l.tcp + 4] << 24) | (d[l.tcp + 5] << 16) | (d[l.tcp + 6] << 8) | d[l.tcp + 7]) >>> 0;
        const flags = d[l.tcp + 13];
        const id0 = l.v6 ? 0 : (d[l.ip + 4] << 8) | d[l.ip + 5];
        const total = l.end - l.payload;
        for (let k = 0, off = 0; off < total; k++, off += mss) {
          const n = Math.min(mss, total - off);
          const last = off + n === total;
          const pkt = scratch.subarray(0, head + n + trailer.length);
          pkt.set(d.subarray(0, head), 0);
          pkt.set(d.subarray(l.payload + off, l.payload + off + n), head);
          pkt.set(trailer, head + n);
          const seq = (seq0 + off) >>> 0;
          pkt[l.tcp + 4] = seq >>> 24;
          pkt[l.tcp + 5] = (seq >>> 16) & 0xff;
          pkt[l.tcp + 6] = (seq >>> 8) & 0xff;
          pkt[l.tcp + 7] = seq & 0xff;
          pkt[l.tcp + 13] = last ? flags : flags & ~(TCP_PSH | TCP_FIN);
          const pl = { ...l, end: head + n };
          if (l.v6) {
            const len = pl.end - l.tcp;
            pkt[l.ip + 4] = len >> 8;
            pkt[l.ip + 5] = len & 0xff;
          } else {
            const len = pl.end - l.ip;
            pkt[l.ip + 2] = len >> 8;
            pkt[l.ip + 3] = len & 0xff;
            const ipid = (id0 + k) & 0xffff;
            pkt[l.ip + 4] = ipid >> 8;
            pkt[l.ip + 5] = ipid & 0xff;
            setIpv4Checksum(pkt, l.ip);
          }
          setTcpChecksum(pkt, pl);
          let nsec = p.tsNsec + k;
          let sec = p.tsSec;
          if (nsec >= 1e9) {
            nsec -= 1e9;
            sec += 1;
          }
          write(id, p, pkt, sec, nsec);
        }
      },
    });
    readChunks(input, (c) => r.push(c));
    r.end();
    out.close();
  } catch (err) {
    try {
      out.close();
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, output);
  return stats;
}

/** Re-segments `input` and writes `output` with a sidecar derived from the input's (port, calls, messages). */
function resegmentWithSidecar({ input, output, mss, dist }) {
  const t0 = Date.now();
  const stats = resegment({ input, output, mss, dist });
  const meta = readMeta(input) ?? {};
  const bytes = fs.statSync(output).size;
  const sidecar = {
    ...meta,
    name: path.basename(output).replace(/\.pcapng$/, ''),
    file: path.relative(ROOT, output),
    describe: `${path.basename(input)} re-segmented to an MSS of ${mss} bytes${meta.describe ? ` (${meta.describe})` : ''}`,
    source: path.relative(ROOT, input),
    mss,
    packets: stats.packetsOut,
    dropped: meta.dropped ?? null,
    bytes,
    seconds: (Date.now() - t0) / 1000,
    recorded: new Date().toISOString(),
  };
  writeMeta(output, sidecar);
  if (stats.skipped) log(`warning: ${stats.skipped} packets without an interface (Simple Packet Blocks) left out`);
  log(
    `${sidecar.name}: wrote ${sidecar.file}: ${mb(bytes)} MB, ${count(stats.packetsOut)} packets (${count(stats.packetsIn)} in, ` +
      `${count(stats.split)} split at MSS ${mss}), in ${sidecar.seconds.toFixed(1)} s`,
  );
  return sidecar;
}

/** Where gen-large.js and run.js put the capture re-segmented at `mss`. */
function resegmentedPath(input, mss) {
  return input.replace(/(\.pcapng)?$/, `-mss${mss}.pcapng`);
}

module.exports = { resegment, resegmentWithSidecar, resegmentedPath, tcpLayout };

if (require.main === module) {
  const opts = parseArgs(process.argv.slice(2), { in: path.join(OUT_DIR, 'large.pcapng'), out: '', mss: 0, dist: path.join(ROOT, 'dist') }, USAGE);
  try {
    if (!opts.mss) throw new Error(`--mss is needed (2600 for issue 7's packet count, 1448 for Ethernet)`);
    const input = path.resolve(opts.in);
    if (!fs.existsSync(input)) throw new Error(`no input ${path.relative(process.cwd(), input)}`);
    const output = opts.out ? path.resolve(opts.out) : resegmentedPath(input, opts.mss);
    resegmentWithSidecar({ input, output, mss: opts.mss, dist: path.resolve(opts.dist) });
  } catch (err) {
    log(`resegment: ${err.message}`);
    process.exit(1);
  }
}
