'use strict';
// `npm run bench`: grpctk against tshark on the captures of issues 7 and 18, and whether the targets are met.
//
//   node bench/run.js [--runs 3] [--captures dense,dense-tls,large,large-mss2800,huge] [--capture FILE[:PORT,...]] [--generate]
//                     [--regenerate] [--tools decode,raw,stats,tshark,tshark-raw] [--grpctk "node bin/grpctk.js"]
//                     [--jobs 1,2] [--startup-runs 11] [--max-rss-mb 3072] [--timeout 1800] [--out bench/out/results.md]
//
// For each capture, `--runs` times, interleaved (decode, raw, stats, tshark, tshark-raw, then the next run starts
// one tool later): `grpctk decode --format ndjson -I samples/protos FILE`, the same without a schema (raw),
// `grpctk stats --by method -I samples/protos FILE`, tshark with the same .proto search path (`-T fields -e
// frame.number -e grpc.message_length -e protobuf.message.name`) and tshark without one (`-e frame.number -e
// grpc.message_length -e protobuf.field.number -e protobuf.field.value`: the fields it finds without a schema),
// each with stdout to /dev/null, timed by this script (wall) and by /usr/bin/time (peak RSS). Then start-up, on
// a small sample (`--startup-runs` times, interleaved): `node -e 0`, `grpctk --version`, `grpctk decode SAMPLE`
// and tshark's text view of the same sample. Before the timed runs the file is read once (page cache) and decoded once with its NDJSON counted: the
// calls/s column divides that number of calls by each tool's time. Prints a table of medians with the ratio to
// tshark, then one line per target of the issue; writes the same to bench/out/results.md and the raw numbers to
// bench/out/results.json. A missing capture is skipped with a note (`--generate` records it first).
//
// Nothing here fails on a timing: the exit code is 0 whether targets are met or not (2 for bad usage, 1 when
// nothing could be measured).
//
// Needs: tshark (4.x), /usr/bin/time (Debian: apt-get install time), the built CLI (`npm run build`; without it
// decode and stats are skipped with a note, or point --grpctk at a stand-in command).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { ROOT, OUT_DIR, MB, parseArgs, readMeta, median, mb, count, log } = require('./lib');

const USAGE = `usage: node bench/run.js [--runs N] [--captures dense,dense-tls,large,large-mss2800,huge] [--capture FILE[:PORT,...]]...
                         [--generate] [--regenerate] [--tools decode,stats,tshark] [--grpctk "CMD"]
                         [--jobs N[,N...]] [--proto-dir DIR] [--max-rss-mb MB] [--timeout SEC] [--out FILE]`;

/** The captures `npm run bench` knows, and the script that makes each. */
const KNOWN = {
  dense: { file: path.join(OUT_DIR, 'dense.pcapng'), gen: ['gen-dense.js'] },
  // The same calls over TLS 1.3, decrypted with the key log beside it (dense-tls.keys): the cost of TLS.
  'dense-tls': { file: path.join(OUT_DIR, 'dense-tls.pcapng'), gen: ['gen-dense.js', '--tls'] },
  large: { file: path.join(OUT_DIR, 'large.pcapng'), gen: ['gen-large.js'] },
  // large re-segmented to issue 7's packet count (58,000) and to Ethernet's MSS: see bench/resegment.js.
  'large-mss2800': { file: path.join(OUT_DIR, 'large-mss2800.pcapng'), gen: ['gen-large.js', '--mss', '2800', '--reuse'] },
  'large-mss1448': { file: path.join(OUT_DIR, 'large-mss1448.pcapng'), gen: ['gen-large.js', '--mss', '1448', '--reuse'] },
  huge: { file: path.join(OUT_DIR, 'huge.pcapng'), gen: ['gen-huge.js'], needs: 'dense' },
};

/** Issue 18's targets (issue 7's were 5×, 2×, 10× and 256 MB): speed-ups over tshark (wall time), memory. */
const TARGETS = {
  decodeDense: 10,
  rawDense: 8,
  decodeLarge: 3,
  statsDense: 25,
  rssMB: 200,
  /** A small capture decoded, whole process (s), and `--version` over `node -e 0` (s). */
  startupDecodeS: 0.25,
  startupVersionS: 0.05,
  /** "Flat as the capture grows": huge may use at most this much more than dense (MB). */
  flatSlackMB: 32,
  /** decode of dense-tls over decode of dense (wall time). */
  tlsOverPlain: 1.5,
};

/** How often a running child's RSS is checked against --max-rss-mb. */
const WATCH_INTERVAL_MS = 200;
/** Bytes of a child's stderr kept for the report when it fails (the tail). */
const STDERR_KEEP_BYTES = 4096;

const opts = parseArgs(
  process.argv.slice(2),
  {
    runs: 3,
    captures: 'dense,dense-tls,large,large-mss2800,huge',
    capture: [],
    generate: false,
    regenerate: false,
    tools: 'decode,raw,stats,tshark,tshark-raw',
    startupRuns: 11,
    startupSample: path.join(ROOT, 'samples', 'grpcjs-basic.pcapng'),
    startupPort: 50051,
    grpctk: `${process.execPath} ${path.join(ROOT, 'bin', 'grpctk.js')}`,
    jobs: '',
    protoDir: path.join(ROOT, 'samples', 'protos'),
    // tshark's memory grows with the capture: on the 1 GB capture it would take the machine's RAM (and others'
    // processes with it). Any child past this is killed and reported as such.
    maxRssMb: 3072,
    timeout: 1800,
    out: path.join(OUT_DIR, 'results.md'),
  },
  USAGE,
);

const notes = [];
function note(msg) {
  notes.push(msg);
  log(`note: ${msg}`);
}

// ---------------------------------------------------------------------------------------------------------
// Measuring one child.

const TIME = '/usr/bin/time';
let timeFile = null;

/**
 * Runs `argv` with stdout to /dev/null (or to `onStdout` chunks), and resolves with its wall time (s), peak RSS
 * (MB, from /usr/bin/time's %M), exit code, and `killed` when the RSS or time limit stopped it.
 */
function measure(argv, { onStdout } = {}) {
  return new Promise((resolve) => {
    const useTime = fs.existsSync(TIME);
    const cmd = useTime ? TIME : argv[0];
    const args = useTime ? ['-f', '%e %M %x %U %S', '-o', timeFile, ...argv] : argv.slice(1);
    if (useTime) fs.writeFileSync(timeFile, '');
    const devnull = onStdout ? 'pipe' : fs.openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', devnull, 'pipe'], cwd: ROOT });
    if (typeof devnull === 'number') fs.closeSync(devnull);
    if (onStdout) child.stdout.on('data', onStdout);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => {
      stderr = (stderr + s).slice(-STDERR_KEEP_BYTES);
    });
    let killed = null;
    let hwmKB = 0;
    const watch = setInterval(() => {
      const pid = useTime ? firstChild(child.pid) : child.pid;
      if (!pid) return;
      const kb = statusKB(pid, 'VmHWM');
      if (kb > hwmKB) hwmKB = kb;
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (kb > opts.maxRssMb * 1024) killed = `RSS over ${opts.maxRssMb} MB after ${secs.toFixed(0)} s`;
      else if (secs > opts.timeout) killed = `still running after ${opts.timeout} s`;
      if (killed) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, WATCH_INTERVAL_MS);
    child.on('error', (err) => {
      clearInterval(watch);
      resolve({ wall: null, cpu: null, rssMB: null, code: -1, killed: null, stderr: `cannot run ${argv[0]}: ${err.message}` });
    });
    child.on('close', (status) => {
      clearInterval(watch);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let rssKB = hwmKB;
      let code = status;
      let cpu = null;
      if (useTime) {
        // Last line: "%e %M %x %U %S"; a line before it may say "Command terminated by signal N".
        const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
        const m = /^([\d.]+) (\d+) (-?\d+) ([\d.]+) ([\d.]+)$/.exec(lines[lines.length - 1] ?? '');
        if (m) {
          rssKB = Number(m[2]);
          code = Number(m[3]);
          cpu = Number(m[4]) + Number(m[5]);
        }
        const sig = /terminated by signal (\d+)/.exec(lines.join('\n'));
        if (sig) code = 128 + Number(sig[1]);
      }
      resolve({ wall, cpu, rssMB: rssKB ? rssKB / 1024 : null, code, killed, stderr: stderr.trim() });
    });
  });
}

/** The first child of `pid` (the command /usr/bin/time runs), or 0. */
function firstChild(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

/** A kB field of /proc/PID/status (VmRSS, VmHWM), or 0. */
function statusKB(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Counts the NDJSON records of a decode by type, line by line (the output of a 1 GB capture is not kept). */
function ndjsonCounter() {
  const counts = { call: 0, message: 0, other: 0 };
  let tail = '';
  const line = (l) => {
    if (l.length === 0) return;
    // The record's own "type" is its first key; a body never starts the line.
    const m = /^\{"type":"(\w+)"/.exec(l);
    const type = m ? m[1] : safeType(l);
    if (type === 'call' || type === 'message') counts[type]++;
    else counts.other++;
  };
  return {
    counts,
    push(chunk) {
      const s = tail + chunk.toString('utf8');
      const lines = s.split('\n');
      tail = lines.pop();
      for (const l of lines) line(l);
    },
    end() {
      line(tail);
      tail = '';
    },
  };
}

function safeType(l) {
  try {
    return JSON.parse(l).type;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// What to run.

function splitCommand(s) {
  // Words separated by spaces; "double" or 'single' quotes keep spaces (enough for a command prefix).
  const words = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m;
  while ((m = re.exec(s)) !== null) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** The directory holding google/protobuf/*.proto, for tshark (grpctk carries the well-known types itself). */
function wellKnownDir() {
  for (const d of ['/usr/include', '/usr/lib/python3/dist-packages/grpc_tools/_proto']) {
    if (fs.existsSync(path.join(d, 'google', 'protobuf', 'timestamp.proto'))) return d;
  }
  return null;
}

/** The key log beside a capture (NAME.keys), when there is one: the capture is TLS. */
function keylogOf(file) {
  const keys = file.replace(/\.pcapng$|\.pcap$/, '') + '.keys';
  return fs.existsSync(keys) ? keys : null;
}

function tsharkArgv(file, ports, protoDir, wkt) {
  const argv = ['tshark', '-r', file, '-n'];
  const keys = keylogOf(file);
  for (const p of ports) argv.push('-d', `tcp.port==${p},${keys ? 'tls' : 'http2'}`);
  if (keys) argv.push('-o', `tls.keylog_file:${keys}`);
  // Wireshark wants absolute search paths (test/golden/README.md); TRUE loads every .proto under the directory.
  if (wkt) argv.push('-o', `uat:protobuf_search_paths:"${wkt}","FALSE"`);
  argv.push('-o', `uat:protobuf_search_paths:"${protoDir}","TRUE"`);
  argv.push('-T', 'fields', '-e', 'frame.number', '-e', 'grpc.message_length', '-e', 'protobuf.message.name');
  return argv;
}

/** tshark without a schema: the protobuf dissector still walks every message, and prints its fields. */
function tsharkRawArgv(file, ports) {
  const argv = ['tshark', '-r', file, '-n'];
  const keys = keylogOf(file);
  for (const p of ports) argv.push('-d', `tcp.port==${p},${keys ? 'tls' : 'http2'}`);
  if (keys) argv.push('-o', `tls.keylog_file:${keys}`);
  argv.push('-T', 'fields', '-e', 'frame.number', '-e', 'grpc.message_length', '-e', 'protobuf.field.number', '-e', 'protobuf.field.value');
  return argv;
}

function tlsArgs(file) {
  const keys = keylogOf(file);
  return keys ? ['--tls-keylog', keys] : [];
}

function grpctkTools(grpctk, jobsList, protoDir) {
  const tools = [];
  const variants = jobsList.length > 0 ? jobsList : [null];
  for (const j of variants) {
    const jobs = j === null ? [] : ['--jobs', String(j)];
    const suffix = j === null ? '' : ` -j${j}`;
    tools.push({
      name: `decode${suffix}`,
      kind: 'decode',
      jobs: j,
      argv: (file) => [...grpctk, 'decode', '--format', 'ndjson', '-I', protoDir, ...jobs, ...tlsArgs(file), file],
    });
    tools.push({
      name: `raw${suffix}`,
      kind: 'raw',
      jobs: j,
      argv: (file) => [...grpctk, 'decode', '--format', 'ndjson', ...jobs, ...tlsArgs(file), file],
    });
    tools.push({
      name: `stats${suffix}`,
      kind: 'stats',
      jobs: j,
      argv: (file) => [...grpctk, 'stats', '--by', 'method', '-I', protoDir, ...jobs, ...tlsArgs(file), file],
    });
  }
  return tools;
}

function shown(argv) {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs a generator script, output to our stderr. */
function generate(name) {
  const g = KNOWN[name];
  if (g.needs && !fs.existsSync(KNOWN[g.needs].file)) generate(g.needs);
  log(`generating ${name}: node bench/${g.gen.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, g.gen[0]), ...g.gen.slice(1)], { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
  if (r.status !== 0) note(`bench/${g.gen[0]} failed (exit ${r.status}): ${name} skipped`);
}

function captures() {
  const list = [];
  const names = opts.captures ? opts.captures.split(',').filter(Boolean) : [];
  for (const name of names) {
    const k = KNOWN[name];
    if (!k) {
      log(`unknown capture ${name}: one of ${Object.keys(KNOWN).join(', ')} (or --capture FILE:PORT)`);
      process.exit(2);
    }
    if (opts.regenerate || (opts.generate && !fs.existsSync(k.file))) generate(name);
    if (!fs.existsSync(k.file)) {
      note(`${name}: ${path.relative(ROOT, k.file)} is missing, skipped (node bench/run.js --generate records it)`);
      continue;
    }
    const meta = readMeta(k.file);
    if (!meta?.port) {
      note(`${name}: no sidecar ${path.relative(ROOT, k.file).replace(/\.pcapng$/, '.json')} with the server port: skipped`);
      continue;
    }
    list.push({ name, file: k.file, ports: [meta.port], meta });
  }
  for (const spec of opts.capture) {
    const m = /^(.*?)(?::(\d+(?:,\d+)*))?$/.exec(spec);
    const file = path.resolve(m[1]);
    if (!fs.existsSync(file)) {
      note(`${m[1]}: no such file, skipped`);
      continue;
    }
    const meta = readMeta(file);
    const ports = m[2] ? m[2].split(',').map(Number) : meta?.port ? [meta.port] : [];
    if (ports.length === 0) {
      note(`${m[1]}: server port unknown (write it as FILE:PORT), skipped`);
      continue;
    }
    list.push({ name: path.basename(file), file, ports, meta });
  }
  for (const c of list) c.bytes = fs.statSync(c.file).size;
  return list;
}

/** Reads the whole file once so that every timed run starts with it page-cached. */
function warmPageCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}

// ---------------------------------------------------------------------------------------------------------
// Reporting.

function fmtRatio(r, lowerBound) {
  if (r === null) return '–';
  return `${lowerBound ? '≥ ' : ''}${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
}

function summarize(results, caps, tools) {
  const rows = [];
  for (const c of caps) {
    for (const t of tools) {
      // Schema-less decode is compared with tshark without a schema; the rest with tshark with the schema.
      const ts = summary(results, c.name, t.kind === 'raw' ? 'tshark-raw' : 'tshark');
      const s = summary(results, c.name, t.name);
      if (s.runs === 0) continue;
      let ratio = null;
      let cpuRatio = null;
      let lower = false;
      if (t.kind !== 'tshark' && ts.runs > 0 && s.wall !== null && ts.wall !== null && !s.killed && !s.failed) {
        ratio = ts.wall / s.wall;
        if (s.cpu && ts.cpu) cpuRatio = ts.cpu / s.cpu;
        lower = Boolean(ts.killed);
      }
      rows.push({
        capture: c.name,
        tool: t.name,
        kind: t.kind,
        ...s,
        calls: c.calls,
        mbps: s.wall ? c.bytes / MB / s.wall : null,
        ratio,
        cpuRatio,
        lower,
      });
    }
  }
  return rows;
}

/** Medians over the runs of one tool on one capture (killed runs count with the time they were stopped at). */
function summary(results, capture, tool) {
  const rs = results.filter((r) => r.capture === capture && r.tool === tool);
  const ok = rs.filter((r) => r.code === 0 || r.killed);
  const killed = rs.find((r) => r.killed)?.killed ?? null;
  const failed = rs.find((r) => r.code !== 0 && !r.killed) ?? null;
  return {
    runs: rs.length,
    wall: median(ok.map((r) => r.wall)),
    cpu: median(ok.map((r) => r.cpu)),
    cpuMin: ok.some((r) => r.cpu != null) ? Math.min(...ok.filter((r) => r.cpu != null).map((r) => r.cpu)) : null,
    rss: median(ok.map((r) => r.rssMB)),
    rssMax: ok.length ? Math.max(...ok.map((r) => r.rssMB ?? 0)) : null,
    killed,
    failed: failed ? `exit ${failed.code}${failed.stderr ? `: ${failed.stderr.split('\n').slice(-1)[0]}` : ''}` : null,
  };
}

function table(rows) {
  const head = ['capture', 'tool', 'runs', 'wall s', 'CPU s', 'CPU s, min', 'calls/s', 'MB/s', 'peak RSS MB', 'vs tshark', 'vs tshark, CPU'];
  const lines = [head, head.map(() => '---')];
  for (const r of rows) {
    const stopped = r.killed ? ` (killed: ${r.killed})` : r.failed ? ` (failed: ${r.failed})` : '';
    lines.push([
      r.capture,
      r.tool,
      String(r.runs),
      r.wall === null ? `–${stopped}` : `${r.killed ? '> ' : ''}${r.wall.toFixed(2)}${stopped}`,
      r.cpu === null ? '–' : `${r.killed ? '> ' : ''}${r.cpu.toFixed(2)}`,
      r.cpuMin === null ? '–' : `${r.killed ? '> ' : ''}${r.cpuMin.toFixed(2)}`,
      r.wall && r.calls ? `${r.killed ? '< ' : ''}${count(r.calls / r.wall)}` : '–',
      r.mbps === null ? '–' : `${r.killed ? '< ' : ''}${r.mbps.toFixed(1)}`,
      r.rss === null ? '–' : `${r.killed ? '> ' : ''}${r.rss.toFixed(0)}`,
      r.kind === 'tshark' ? (r.wall === null ? '–' : '1×') : fmtRatio(r.ratio, r.lower),
      r.kind === 'tshark' ? (r.cpu === null ? '–' : '1×') : fmtRatio(r.cpuRatio, r.lower),
    ]);
  }
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

function targetLines(rows, tools) {
  const out = [];
  const find = (capture, tool) => rows.find((r) => r.capture === capture && r.tool === tool);
  const speed = (capture, tool, want, what) => {
    const r = find(capture, tool);
    if (!r) return `- ${what}: not measured (no ${tool} run on ${capture})`;
    if (r.failed || r.killed) return `- ${what}: not met (${tool} ${r.failed ? `failed: ${r.failed}` : `killed: ${r.killed}`})`;
    if (r.ratio === null) return `- ${what}: not measured (no tshark run on ${capture})`;
    const cpu = r.cpuRatio === null ? '' : `; ${fmtRatio(r.cpuRatio, r.lower)} in CPU time`;
    return `- ${what}: ${r.ratio >= want ? 'met' : 'not met'} (${fmtRatio(r.ratio, r.lower)} in wall time${cpu})`;
  };
  const variants = tools.filter((t) => t.kind === 'decode');
  if (tools.every((t) => t.kind === 'tshark')) out.push('- not measured: no grpctk runs');
  for (const d of variants) {
    const s = tools.find((t) => t.kind === 'stats' && t.jobs === d.jobs) ?? { name: 'stats', kind: 'stats', jobs: d.jobs };
    const raw = tools.find((t) => t.kind === 'raw' && t.jobs === d.jobs) ?? { name: 'raw', kind: 'raw', jobs: d.jobs };
    const j = d.jobs === null ? '' : ` (--jobs ${d.jobs})`;
    out.push(speed('dense', d.name, TARGETS.decodeDense, `decode --format ndjson ≥ ${TARGETS.decodeDense}× tshark on dense${j}`));
    out.push(speed('dense', raw.name, TARGETS.rawDense, `decode --format ndjson without a schema ≥ ${TARGETS.rawDense}× tshark without one on dense${j}`));
    out.push(speed('large', d.name, TARGETS.decodeLarge, `decode --format ndjson ≥ ${TARGETS.decodeLarge}× tshark on large${j}`));
    if (find('large-mss2800', d.name)) {
      out.push(
        speed('large-mss2800', d.name, TARGETS.decodeLarge, `decode --format ndjson ≥ ${TARGETS.decodeLarge}× tshark on large-mss2800 (issue 7's 58,000 packets)${j}`),
      );
    }
    out.push(speed('dense', s.name, TARGETS.statsDense, `stats --by method ≥ ${TARGETS.statsDense}× tshark on dense${j}`));
    for (const t of [d, raw, s]) {
      const names = [...new Set(rows.filter((r) => r.tool === t.name).map((r) => r.capture).concat(['dense', 'large', 'huge']))];
      const measured = names.map((c) => find(c, t.name)).filter((r) => r && r.rssMax !== null);
      const missing = names.filter((c) => !measured.some((r) => r.capture === c));
      const worst = measured.reduce((a, r) => (a === null || r.rssMax > a.rssMax ? r : a), null);
      let line = `- ${t.name} peak RSS < ${TARGETS.rssMB} MB on every capture: `;
      if (worst === null) line += 'not measured';
      else {
        const over = worst.rssMax >= TARGETS.rssMB;
        line += `${over ? 'not met' : missing.length ? 'met so far' : 'met'} (highest ${worst.rssMax.toFixed(0)} MB, on ${worst.capture})`;
        if (missing.length) line += `; not measured on ${missing.join(', ')}`;
      }
      out.push(line);
      const dense = find('dense', t.name);
      const huge = find('huge', t.name);
      if (dense?.rssMax && huge?.rssMax) {
        const flat = huge.rssMax <= dense.rssMax + TARGETS.flatSlackMB;
        out.push(
          `- ${t.name} RSS flat as the capture grows (huge ≤ dense + ${TARGETS.flatSlackMB} MB): ${flat ? 'met' : 'not met'} ` +
            `(dense ${dense.rssMax.toFixed(0)} MB, huge ${huge.rssMax.toFixed(0)} MB)`,
        );
      } else {
        out.push(`- ${t.name} RSS flat as the capture grows: not measured (needs dense and huge)`);
      }
    }
  }
  return out;
}

function version(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: ROOT });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0].trim().replace(/\.$/, '') : null;
}

// ---------------------------------------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  timeFile = path.join(OUT_DIR, `.time.${process.pid}`);
  if (!fs.existsSync(TIME)) note(`${TIME} not found (Debian: apt-get install -y time): peak RSS is sampled from /proc every ${WATCH_INTERVAL_MS} ms instead`);

  const wanted = opts.tools.split(',').filter(Boolean);
  for (const w of wanted) {
    if (!['decode', 'raw', 'stats', 'tshark', 'tshark-raw'].includes(w)) {
      log(`unknown tool ${w}: decode, raw, stats, tshark or tshark-raw`);
      process.exit(2);
    }
  }
  const protoDir = path.resolve(opts.protoDir);
  const jobsList = String(opts.jobs).split(',').filter(Boolean).map(Number);
  if (jobsList.some((j) => !Number.isInteger(j) || j < 1)) {
    log('--jobs: positive integers, comma-separated');
    process.exit(2);
  }

  // grpctk: runnable? --jobs supported?
  const grpctk = splitCommand(opts.grpctk);
  let tools = [];
  let grpctkVersion = null;
  if (wanted.includes('decode') || wanted.includes('raw') || wanted.includes('stats') || opts.startupRuns > 0) {
    const v = spawnSync(grpctk[0], [...grpctk.slice(1), '--version'], { encoding: 'utf8', cwd: ROOT });
    if (v.status !== 0) {
      const why = (v.stderr || v.stdout || v.error?.message || '').trim().split('\n')[0];
      note(`grpctk is not runnable (${shown(grpctk)} --version: ${why || `exit ${v.status}`}): decode and stats skipped`);
    } else {
      grpctkVersion = v.stdout.trim().split('\n')[0];
      let jobs = jobsList;
      if (jobs.length > 0) {
        const help = spawnSync(grpctk[0], [...grpctk.slice(1), 'decode', '--help'], { encoding: 'utf8', cwd: ROOT });
        if (!/--jobs\b/.test(help.stdout ?? '')) {
          note(`grpctk decode has no --jobs yet: --jobs ${opts.jobs} ignored`);
          jobs = [];
        }
      }
      tools = grpctkTools(grpctk, jobs, protoDir).filter((t) => wanted.includes(t.kind));
    }
  }
  const wkt = wellKnownDir();
  const tsharkVersion = version(['tshark', '--version']);
  if (wanted.includes('tshark-raw') && tsharkVersion !== null) {
    tools.push({ name: 'tshark-raw', kind: 'tshark', jobs: null, argv: (file, ports) => tsharkRawArgv(file, ports) });
  }
  if (wanted.includes('tshark')) {
    if (tsharkVersion === null) note('tshark not found: its column is empty');
    else {
      if (!wkt) note('google/protobuf/*.proto not found (protobuf-compiler): tshark runs without the well-known types');
      tools.push({ name: 'tshark', kind: 'tshark', jobs: null, argv: (file, ports) => tsharkArgv(file, ports, protoDir, wkt) });
    }
  }
  const caps = captures();
  if ((tools.length === 0 || caps.length === 0) && !(opts.startupRuns > 0 && grpctkVersion)) {
    log('nothing to measure');
    writeReport([], caps, tools, { grpctkVersion, tsharkVersion });
    process.exit(1);
  }

  const results = [];
  for (const c of caps) {
    log(`${c.name}: ${path.relative(ROOT, c.file)}, ${mb(c.bytes)} MB, server port ${c.ports.join(',')}`);
    warmPageCache(c.file);
    // Calls, counted once from a decode's NDJSON (untimed; also warms grpctk up); else from the sidecar.
    c.calls = c.meta?.calls ?? null;
    c.messages = c.meta?.messages ?? null;
    const decode = tools.find((t) => t.kind === 'decode');
    if (decode) {
      const counter = ndjsonCounter();
      const r = await measure(decode.argv(c.file, c.ports), { onStdout: (b) => counter.push(b) });
      counter.end();
      if (r.code === 0) {
        const expect = c.meta?.calls != null ? ` (the generator made ${count(c.meta.calls)} calls, ${count(c.meta.messages)} messages)` : '';
        log(`  decode counted ${count(counter.counts.call)} calls, ${count(counter.counts.message)} messages${expect}`);
        if (c.meta?.calls != null && (counter.counts.call !== c.meta.calls || counter.counts.message !== c.meta.messages)) {
          note(`${c.name}: decode found ${count(counter.counts.call)} calls and ${count(counter.counts.message)} messages; the generator made ${count(c.meta.calls)} and ${count(c.meta.messages)}`);
        }
        c.calls = counter.counts.call;
        c.messages = counter.counts.message;
      } else {
        note(`${c.name}: counting decode failed (exit ${r.code}${r.killed ? `, killed: ${r.killed}` : ''}): ${r.stderr.split('\n').slice(-1)[0] ?? ''}`);
      }
    }
    const gaveUp = new Set();
    for (let run = 0; run < opts.runs; run++) {
      // Interleaved: every tool once per run, each run starting one tool later, so none always goes first.
      for (let k = 0; k < tools.length; k++) {
        const t = tools[(k + run) % tools.length];
        if (gaveUp.has(t.name)) continue;
        const argv = t.argv(c.file, c.ports);
        const r = await measure(argv);
        results.push({ capture: c.name, tool: t.name, run: run + 1, argv: shown(argv), ...r });
        const status = r.killed ? `killed: ${r.killed}` : r.code !== 0 ? `exit ${r.code}: ${r.stderr.split('\n').slice(-1)[0]}` : 'ok';
        log(`  run ${run + 1}/${opts.runs} ${t.name.padEnd(10)} ${r.wall?.toFixed(2) ?? '–'} s  ${r.rssMB?.toFixed(0) ?? '–'} MB  ${status}`);
        // A run stopped by a limit or failing would do the same again: not repeated.
        if (r.killed || r.code !== 0) gaveUp.add(t.name);
      }
    }
  }
  if (opts.startupRuns > 0 && grpctkVersion) await measureStartup(results, grpctk, protoDir, wkt, tsharkVersion !== null);
  const report = writeReport(results, caps, tools, { grpctkVersion, tsharkVersion });
  process.stdout.write(report);
}

/** The start-up commands: what a shell loop over small captures pays on every run. */
function startupTools(grpctk, protoDir, wkt, withTshark) {
  const sample = path.resolve(opts.startupSample);
  const tools = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'grpctk --version', argv: [...grpctk, '--version'] },
    { name: 'grpctk decode SAMPLE', argv: [...grpctk, 'decode', sample] },
    { name: 'grpctk decode -F ndjson -I protos SAMPLE', argv: [...grpctk, 'decode', '-F', 'ndjson', '-I', protoDir, sample] },
  ];
  if (withTshark) tools.push({ name: 'tshark (as on the captures)', argv: tsharkArgv(sample, [opts.startupPort], protoDir, wkt) });
  return tools;
}

async function measureStartup(results, grpctk, protoDir, wkt, withTshark) {
  const tools = startupTools(grpctk, protoDir, wkt, withTshark);
  log(`start-up: ${path.relative(ROOT, path.resolve(opts.startupSample))}, ${opts.startupRuns} runs`);
  warmPageCache(path.resolve(opts.startupSample));
  for (let run = 0; run < opts.startupRuns; run++) {
    for (let k = 0; k < tools.length; k++) {
      const t = tools[(k + run) % tools.length];
      const r = await measure(t.argv);
      results.push({ capture: 'startup', tool: t.name, run: run + 1, argv: shown(t.argv), ...r });
    }
  }
  log(`  ${tools.map((t) => `${t.name} ${median(results.filter((r) => r.capture === 'startup' && r.tool === t.name).map((r) => r.wall)).toFixed(3)} s`).join(', ')}`);
}

function startupLines(results) {
  const rs = results.filter((r) => r.capture === 'startup');
  if (rs.length === 0) return { table: [], targets: [] };
  const names = [...new Set(rs.map((r) => r.tool))];
  const s = Object.fromEntries(names.map((n) => [n, summary(results, 'startup', n)]));
  const table = [
    `Start-up, on ${path.relative(ROOT, path.resolve(opts.startupSample))} (${opts.startupRuns} runs each, interleaved; medians):`,
    '',
    '| command | wall s | CPU s | peak RSS MB |',
    '| --- | --- | --- | --- |',
    ...names.map((n) => `| ${n} | ${s[n].wall?.toFixed(3) ?? '–'} | ${s[n].cpu?.toFixed(3) ?? '–'} | ${s[n].rss?.toFixed(0) ?? '–'} |`),
  ];
  const targets = [];
  const dec = s['grpctk decode SAMPLE'];
  const ts = s['tshark (as on the captures)'];
  if (dec?.wall != null) {
    const vs = ts?.wall ? `; tshark ${ts.wall.toFixed(3)} s, ${(ts.wall / dec.wall).toFixed(1)}×` : '';
    targets.push(`- grpctk decode of a small sample ≤ ${TARGETS.startupDecodeS} s: ${dec.wall <= TARGETS.startupDecodeS ? 'met' : 'not met'} (${dec.wall.toFixed(3)} s${vs})`);
  }
  const v = s['grpctk --version'];
  const n0 = s['node -e 0'];
  if (v?.wall != null && n0?.wall != null) {
    const d = v.wall - n0.wall;
    targets.push(`- grpctk --version within ${TARGETS.startupVersionS} s of node -e 0: ${d <= TARGETS.startupVersionS ? 'met' : 'not met'} (${v.wall.toFixed(3)} s against ${n0.wall.toFixed(3)} s: +${d.toFixed(3)} s)`);
  }
  return { table, targets };
}

/** decode on dense-tls against decode on dense: the cost of decryption (TARGETS.tlsOverPlain). */
function tlsLine(rows) {
  const what = `- decode --format ndjson of dense-tls within ${TARGETS.tlsOverPlain}× of dense (plaintext)`;
  const plain = rows.find((r) => r.capture === 'dense' && r.tool === 'decode');
  const tls = rows.find((r) => r.capture === 'dense-tls' && r.tool === 'decode');
  if (!plain || !tls || plain.wall === null || tls.wall === null) return `${what}: not measured (needs decode runs on dense and dense-tls)`;
  const ratio = tls.wall / plain.wall;
  const cpu = plain.cpu && tls.cpu ? `, ${(tls.cpu / plain.cpu).toFixed(2)}× in CPU time` : '';
  return `${what}: ${ratio <= TARGETS.tlsOverPlain ? 'met' : 'not met'} (${ratio.toFixed(2)}× in wall time${cpu}: ${tls.wall.toFixed(2)} s against ${plain.wall.toFixed(2)} s)`;
}

const loadStart = os.loadavg()[0].toFixed(1);

function writeReport(results, caps, tools, { grpctkVersion, tsharkVersion }) {
  const busy = Math.max(Number(loadStart), os.loadavg()[0]) > os.cpus().length + 0.5;
  const rows = summarize(results, caps, tools);
  const cpu = os.cpus();
  const lines = [];
  lines.push(`# grpctk bench, ${new Date().toISOString()}`);
  lines.push('');
  lines.push(
    `${cpu[0]?.model ?? 'cpu'} × ${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, ` +
      `node ${process.version}, grpctk ${grpctkVersion ?? '(not run)'}, ${tsharkVersion ?? 'tshark (not run)'}; ` +
      `${opts.runs} run${opts.runs === 1 ? '' : 's'} per tool, interleaved, page-cached files; load average ${loadStart} at the start, ` +
      `${os.loadavg()[0].toFixed(1)} at the end${busy ? ' (the machine was busy: wall times are noisy)' : ''}.`,
  );
  lines.push('');
  for (const c of caps) {
    const m = c.meta;
    lines.push(
      `- ${c.name}: ${path.relative(ROOT, c.file)}, ${mb(c.bytes)} MB, ${count(m?.packets)} packets, ` +
        `${count(c.calls)} calls, ${count(c.messages)} gRPC messages${m?.describe ? ` (${m.describe})` : ''}`,
    );
  }
  lines.push('');
  lines.push(table(rows));
  lines.push('');
  lines.push('Medians over the runs (and the least CPU time of any run). CPU is user + system time; calls/s and MB/s are the capture\'s calls and size over the');
  lines.push('wall time; peak RSS is /usr/bin/time\'s maximum resident set; "vs tshark" is tshark\'s median time over the');
  lines.push('tool\'s (wall, then CPU: the CPU ratio is the steadier one when other work shares the machine). ">" and "≥"');
  lines.push('mark a tshark run stopped by --max-rss-mb or --timeout: its real time is longer.');
  lines.push('');
  const startup = startupLines(results);
  if (startup.table.length) {
    lines.push(...startup.table);
    lines.push('');
  }
  lines.push('Targets (issue 18):');
  lines.push('');
  lines.push(...targetLines(rows, tools));
  lines.push(...startup.targets);
  lines.push(tlsLine(rows));
  if (notes.length) {
    lines.push('');
    lines.push('Notes:');
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
  }
  lines.push('');
  lines.push('Commands (one run):');
  lines.push('');
  const seen = new Set();
  for (const r of results) {
    const key = `${r.capture} ${r.tool}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // Paths under the checkout shown relative to it, except where they must stay absolute (tshark's -o).
    lines.push(`    ${r.argv.split(' ').map((w) => (w.startsWith(ROOT + '/') ? w.slice(ROOT.length + 1) : w)).join(' ')} > /dev/null`);
  }
  lines.push('');
  const text = lines.join('\n');
  fs.writeFileSync(opts.out, text);
  fs.writeFileSync(opts.out.replace(/\.md$/, '') + '.json', JSON.stringify({ captures: caps.map(({ meta, ...c }) => ({ ...c, meta })), results }, null, 2) + '\n');
  log(`wrote ${path.relative(process.cwd(), opts.out)}`);
  return text;
}

main()
  .catch((err) => {
    log(`bench: ${err.stack ?? err.message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (timeFile) fs.rmSync(timeFile, { force: true });
  });
