'use strict';
// Measures `grpctk report` on the benchmark captures: the time and peak RSS to write the page, its size, and
// how fast Debian's chromium shows it (first contentful paint, and the moment the page's script has drawn
// everything), medians of --loads page loads with a fresh profile each. Prints numbers; never fails on them.
//
//   node bench/report.js [--captures dense,huge] [--loads 3] [--chromium /usr/bin/chromium] [--reuse]
//
// Needs the built CLI (npm run build), the captures in bench/out/ (node bench/run.js --generate, or
// gen-dense.js / gen-huge.js), chromium (apt-get install chromium) and the dev dependency puppeteer-core.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(__dirname, 'out');

function args() {
  const opts = { captures: ['dense', 'huge'], loads: 3, chromium: '/usr/bin/chromium', reuse: false };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--captures') opts.captures = a[++i].split(',');
    else if (a[i] === '--loads') opts.loads = Number(a[++i]);
    else if (a[i] === '--chromium') opts.chromium = a[++i];
    else if (a[i] === '--reuse') opts.reuse = true;
    else throw new Error(`usage: node bench/report.js [--captures dense,huge] [--loads N] [--chromium PATH] [--reuse]`);
  }
  return opts;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Writes the report with /usr/bin/time: wall seconds and peak RSS (MB). */
function writeReport(capture, html) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, path.join(ROOT, 'bin', 'grpctk.js'), 'report', '-q', '-I', path.join(ROOT, 'samples', 'protos'), '-o', html, capture], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`grpctk report failed: ${r.stderr}`);
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  return { wall, rssMb: rssKb / 1024 };
}

async function paint(puppeteer, chromium, html) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-bench-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto('file://' + html, { waitUntil: 'load', timeout: 120_000 });
    await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined, { timeout: 120_000 });
    // Main-thread time (Chrome's TaskDuration, ScriptDuration): what the page costs, apart from waiting for a CPU.
    const marks = await page.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const mark = (n) => (performance.getEntriesByName(n)[0] || { startTime: NaN }).startTime;
      return { fcp: fcp ? fcp.startTime : NaN, ready: Number(document.documentElement.dataset.ready), parsed: mark('grpctk-parsed'), latency: mark('grpctk-latency'), points: mark('grpctk-points'), table: mark('grpctk-table'), done: mark('grpctk-done') };
    });
    const m = await page.metrics();
    return { ...marks, task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  const opts = args();
  const puppeteer = require('puppeteer-core');
  const rows = [];
  for (const name of opts.captures) {
    const capture = path.join(OUT_DIR, `${name}.pcapng`);
    if (!fs.existsSync(capture)) {
      process.stderr.write(`${name}: ${path.relative(ROOT, capture)} is missing, skipped\n`);
      continue;
    }
    const html = path.join(OUT_DIR, `${name}.report.html`);
    // --reuse: measure the page already written (bench/out/NAME.report.html) without writing it again.
    const w = opts.reuse && fs.existsSync(html) ? { wall: NaN, rssMb: NaN } : writeReport(capture, html);
    const loads = [];
    for (let i = 0; i < opts.loads; i++) loads.push(await paint(puppeteer, opts.chromium, html));
    rows.push({
      name,
      captureMb: fs.statSync(capture).size / 1e6,
      wall: w.wall,
      rssMb: w.rssMb,
      htmlMb: fs.statSync(html).size / 1e6,
      fcp: median(loads.map((l) => l.fcp)),
      ready: median(loads.map((l) => l.ready)),
      task: median(loads.map((l) => l.task)),
      script: median(loads.map((l) => l.script)),
    });
    process.stderr.write(`${name}: page marks (ms, each load): ${JSON.stringify(loads.map((l) => [l.parsed, l.latency, l.points, l.table, l.done, l.fcp, l.ready].map(Math.round)))} (data parsed, latency chart built, its points drawn, table, script done, first paint, painted)\n`);
  }
  const lines = [
    '| capture | capture MB | report s | peak RSS MB | HTML MB | first paint ms | drawn ms | main thread ms (script) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${r.captureMb.toFixed(1)} | ${r.wall.toFixed(1)} | ${Math.round(r.rssMb)} | ${r.htmlMb.toFixed(2)} | ${Math.round(r.fcp)} | ${Math.round(r.ready)} | ${Math.round(r.task)} (${Math.round(r.script)}) |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench/report.js: ${err.message}\n`);
  process.exitCode = 1;
});
