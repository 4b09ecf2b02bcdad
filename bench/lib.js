'use strict';
// Shared by the bench scripts: argument parsing, starting/stopping dumpcap and the bench server, the sidecar
// files that describe a generated capture, and small number helpers. Plain Node (no build step), like every
// script in bench/.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
/** Large generated files live here (git-ignored, never committed). */
const OUT_DIR = path.join(__dirname, 'out');

/**
 * Parses `--name value`, `--name=value` and bare `--flag` (true) against `spec`, an object of defaults: a
 * boolean default makes a flag, anything else takes a value (numbers are converted). Positional arguments go
 * to `_`. Unknown options and `--help` print `usage` and exit 2, as a bad command line should.
 */
function parseArgs(argv, spec, usage) {
  const out = { ...spec, _: [] };
  const fail = (msg) => {
    if (msg) process.stderr.write(`${msg}\n`);
    process.stderr.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(msg ? 2 : 0);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') fail('');
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = toCamel(eq >= 0 ? a.slice(2, eq) : a.slice(2));
    if (!(name in spec)) fail(`unknown option ${a}`);
    if (typeof spec[name] === 'boolean') {
      out[name] = eq >= 0 ? a.slice(eq + 1) !== 'false' : true;
      continue;
    }
    let value;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else fail(`option ${a} needs a value`);
    if (Array.isArray(spec[name])) {
      // Repeatable: a fresh array the first time, so the default is not shared.
      if (out[name] === spec[name]) out[name] = [];
      out[name].push(value);
    } else if (typeof spec[name] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) fail(`option ${a} needs a number, got ${JSON.stringify(value)}`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out;
}

function toCamel(s) {
  return s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when `test()` is true, polling every 50 ms; rejects with `what` after `ms`. */
async function waitUntil(test, ms, what) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts `dumpcap -i IFACE -f FILTER -w FILE` and resolves once it prints "Capturing on" (the BPF filter is
 * attached by then; a short margin follows anyway, as in samples/make-samples.sh). `stop()` sends SIGINT, waits
 * for dumpcap to exit and returns what it counted: `captured`, and `received`/`dropped` on the interface.
 *
 * The kernel buffer is raised to `bufferMB` (dumpcap -B): a burst of 100,000 calls on loopback outruns the
 * default 2 MB and packets would be dropped silently otherwise.
 */
async function startCapture({ iface = 'lo', filter, file, bufferMB = 64, comment }) {
  const args = ['-q', '-i', iface, '-f', filter, '-B', String(bufferMB), '-w', file];
  if (comment) args.push('--capture-comment', comment);
  const child = spawn('dumpcap', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    // dumpcap's stderr is a few lines; the cap keeps a misbehaving one from growing us.
    if (log.length < 65536) log += s;
  });
  let exited = null;
  const done = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));
  child.on('error', (err) => {
    exited = { code: -1, signal: null };
    log += `cannot start dumpcap: ${err.message}\n`;
  });
  await waitUntil(() => exited !== null || log.includes('Capturing on'), 10000, 'dumpcap to start').catch((e) => {
    child.kill('SIGINT');
    throw e;
  });
  if (exited !== null) throw new Error(`dumpcap failed: ${log.trim()}`);
  await sleep(500);
  return {
    async stop() {
      // Let the last packets of the loopback reach dumpcap before it is stopped.
      await sleep(1000);
      child.kill('SIGINT');
      const { code } = await done;
      if (code !== 0) throw new Error(`dumpcap exited with ${code}: ${log.trim()}`);
      const cap = /Packets captured: (\d+)/.exec(log);
      const rd = /Packets received\/dropped on interface .*?: (\d+)\/(\d+)/.exec(log);
      return {
        captured: cap ? Number(cap[1]) : null,
        received: rd ? Number(rd[1]) : null,
        dropped: rd ? Number(rd[2]) : null,
        log: log.trim(),
      };
    },
  };
}

/** Starts bench/server.js on 127.0.0.1:PORT and resolves once it is listening. `stop()` ends it. */
async function startServer(port, extraArgs = []) {
  const child = spawn(process.execPath, [path.join(__dirname, 'server.js'), '--port', String(port), ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding('utf8');
    s.on('data', (d) => {
      if (log.length < 65536) log += d;
    });
  }
  let exited = false;
  const done = new Promise((resolve) => child.on('exit', () => resolve((exited = true))));
  await waitUntil(() => exited || log.includes('listening'), 20000, 'the bench server to listen');
  if (exited) throw new Error(`bench server failed: ${log.trim()}`);
  return {
    async stop() {
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** The sidecar of a generated capture: FILE.json beside FILE.pcapng (port, calls, messages, packets…). */
function metaPath(capture) {
  return capture.replace(/\.pcapng$|\.pcap$/, '') + '.json';
}

function writeMeta(capture, meta) {
  fs.writeFileSync(metaPath(capture), JSON.stringify(meta, null, 2) + '\n');
}

function readMeta(capture) {
  try {
    return JSON.parse(fs.readFileSync(metaPath(capture), 'utf8'));
  } catch {
    return null;
  }
}

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const MB = 1e6;

/** Bytes as decimal megabytes (the unit of the "17 MB"), one decimal. */
function mb(bytes) {
  return (bytes / MB).toFixed(1);
}

/** A count with thousands separators: 198,968. */
function count(n) {
  return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
}

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

// Link types and EtherTypes the generators understand (tcpdump's LINKTYPE_* values).
const LinkType = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276, IPV4: 228, IPV6: 229 };
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = [0x8100, 0x88a8];

/** Offset of the IP header in a packet of `linkType`, or -1 when it is not IPv4/IPv6 or not a known link. */
function ipOffset(d, linkType) {
  let ethertype = -1;
  let ip;
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (d.length < 14) return -1;
      let p = 12;
      ethertype = (d[p] << 8) | d[p + 1];
      while (ETHERTYPE_VLAN.includes(ethertype) && d.length >= p + 6) {
        p += 4;
        ethertype = (d[p] << 8) | d[p + 1];
      }
      ip = p + 2;
      break;
    }
    case LinkType.LINUX_SLL:
      if (d.length < 16) return -1;
      ethertype = (d[14] << 8) | d[15];
      ip = 16;
      break;
    case LinkType.LINUX_SLL2:
      if (d.length < 20) return -1;
      ethertype = (d[0] << 8) | d[1];
      ip = 20;
      break;
    case LinkType.NULL:
      ip = 4;
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      ip = 0;
      break;
    default:
      return -1;
  }
  if (ethertype !== -1 && ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) return -1;
  return ip < d.length ? ip : -1;
}

// ---------------------------------------------------------------------------------------------------------
// Output: one buffer, written when full; input: fixed-size chunks.

const READ_CHUNK_BYTES = 1024 * 1024;
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

class Output {
  constructor(file) {
    this.fd = fs.openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
    this.len = 0;
    this.bytes = 0;
  }

  write(bytes) {
    this.bytes += bytes.length;
    if (this.len + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) {
      fs.writeSync(this.fd, bytes);
      return;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  flush() {
    let off = 0;
    while (off < this.len) off += fs.writeSync(this.fd, this.buf, off, this.len - off);
    this.len = 0;
  }

  close() {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/** Calls `push(chunk)` for each READ_CHUNK_BYTES of `file` (a fresh buffer each time: readers may keep views). */
function readChunks(file, push) {
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const n = fs.readSync(fd, buf, 0, READ_CHUNK_BYTES, null);
      if (n === 0) break;
      push(n === READ_CHUNK_BYTES ? buf : buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = {
  Output,
  readChunks,
  LinkType,
  ipOffset,
  ROOT,
  OUT_DIR,
  MB,
  parseArgs,
  sleep,
  waitUntil,
  startCapture,
  startServer,
  metaPath,
  writeMeta,
  readMeta,
  median,
  mb,
  count,
  log,
};
