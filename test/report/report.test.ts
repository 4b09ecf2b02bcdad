/**
 * grpctk report, judged as a user would: the CLI writes one HTML file, and Debian's chromium (driven by
 * puppeteer-core) opens it offline. The page must make no request, log no error, draw its charts, show the
 * numbers `grpctk stats` gives, name a call on hover, open a failed call to its messages with a decode
 * command that finds exactly that call, and show hostile captured strings as text without running them.
 * Screenshots are kept in $TMPDIR/grpctk-report-screenshots/ (their path is printed as a diagnostic): of the
 * pages looked at closely always, of every sample's page when a check of it fails (and in `npm run test:long`).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { assertCleanStderr, grpctk, ndjson, PROTOS, readySamples, SAMPLES } from '../cli/helpers';
import { launch, openReport, reusablePage } from './browser';
import { LONG } from '../long';

const SHOTS = path.join(os.tmpdir(), 'grpctk-report-screenshots');
const HOSTILE_METHOD = '/x.Y/</script><script>alert(1)</script>\u202egnp.exe';
const HOSTILE_HEADER = '<img src=x onerror=alert(2)>';

let tmp: string;
let browser: Browser;
let closeBrowser: () => Promise<void>;

/** Reports already written, by their command line: a page is made once and looked at by every test. */
const written = new Map<string, string>();

function report(input: string, extra: string[] = []): string {
  const args = ['report', '-I', PROTOS, ...extra, input];
  const done = written.get(JSON.stringify(args));
  if (done !== undefined) return done;
  const out = path.join(tmp, `${written.size}-${path.basename(input)}.html`);
  const r = grpctk([...args.slice(0, -1), '-o', out, input]);
  assertCleanStderr(r.stderr);
  assert.equal(r.status, 0, r.stderr);
  written.set(JSON.stringify(args), out);
  return out;
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Words of a command line as the page shows it: bare words and single-quoted ones (shellWord's forms). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]);
  return words;
}

/** Saturated (coloured, not grey or white) pixels of the canvases under `selector`: drawn data, not axes. */
async function colouredPixels(page: Page, selector: string): Promise<number> {
  return page.$$eval(selector, (canvases) => {
    let n = 0;
    for (const c of canvases as HTMLCanvasElement[]) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
      }
    }
    return n;
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-report-'));
  ({ browser, close: closeBrowser } = await launch());
});

after(async () => {
  await closeBrowser?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('grpctk report on the command line', () => {
  test('without -o it is a usage error, one line, exit 2', () => {
    const r = grpctk(['report', path.join(SAMPLES, 'grpcjs-basic.pcapng')]);
    assert.equal(r.status, 2);
    assertCleanStderr(r.stderr);
    assert.match(r.stderr, /-o FILE/);
  });

  test('the file is one self-contained page: inlined script and style allowed by hash, nothing else', () => {
    const html = fs.readFileSync(report(path.join(SAMPLES, 'grpcjs-basic.pcapng')), 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/);
    assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=/i);
    assert.equal((html.match(/<script/g) ?? []).length, 2);
  });
});

/** The data a report page holds (the JSON in its data element). */
function pageData(file: string): any {
  const html = fs.readFileSync(file, 'utf8');
  const m = /<script type="application\/json" id="grpctk-data">(.*?)<\/script>/s.exec(html);
  assert.ok(m, 'data element');
  return JSON.parse(m[1]);
}

describe('grpctk report: what the page holds', () => {
  test('filters select calls as they do for stats', () => {
    const input = path.join(SAMPLES, 'grpcjs-basic.pcapng');
    const out = path.join(tmp, 'failed-only.html');
    const r = grpctk(['report', '--status', '!OK', '-o', out, input]);
    assert.equal(r.status, 0, r.stderr);
    const data = pageData(out);
    const stats = JSON.parse(grpctk(['stats', '-F', 'json', '--status', '!OK', input]).stdout);
    assert.equal(data.totals.calls, stats.total.calls);
    assert.equal(data.totals.calls, 4);
    assert.deepEqual(data.filters, ['--status', '!OK']);
    assert.equal(data.failed.length, 4);
  });

  test('a capture cut short still gives the page of what came before, names the fault, and exits 1', () => {
    const whole = fs.readFileSync(path.join(SAMPLES, 'grpcjs-basic.pcapng'));
    const input = path.join(tmp, 'cut.pcapng');
    fs.writeFileSync(input, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const out = path.join(tmp, 'cut.html');
    const r = grpctk(['report', '-o', out, input]);
    assert.equal(r.status, 1);
    assertCleanStderr(r.stderr);
    const data = pageData(out);
    assert.ok(data.totals.calls > 0);
    assert.match(data.notes[0].what, /the input ends with a fault/);
  });
});

describe('grpctk report in chromium', () => {
  test('grpcjs-basic: charts drawn, stats numbers, hover names a call, a failed call opens to its messages', async (t) => {
    const input = path.join(SAMPLES, 'grpcjs-basic.pcapng');
    const file = report(input);
    const { page, errors, requests } = await openReport(browser, file);
    try {
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      assert.ok((await colouredPixels(page, '#latency-chart canvas')) > 50, 'latency points drawn');
      assert.ok((await colouredPixels(page, '#rate-chart canvas')) > 50, 'rate drawn');

      // The table shows what `grpctk stats` says.
      const stats = JSON.parse(grpctk(['stats', '-F', 'json', input]).stdout);
      const rows: string[][] = await page.$$eval('#method-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
      const header: string[] = await page.$$eval('#method-table thead th', (ths) => ths.map((th) => th.textContent ?? ''));
      const col = (name: string) => header.indexOf(name);
      const number = (s: string) => Number(s.replace(/,/g, '').replace(/ ms$/, ''));
      // Latencies are shown to the microsecond.
      const us = (x: number) => Math.round(x * 1000) / 1000;
      assert.equal(rows.length, stats.groups.length + 1);
      for (const g of stats.groups) {
        const row = rows.find((r) => r[0] === g.key);
        assert.ok(row, `row for ${g.key}`);
        assert.equal(number(row[col('Calls')]), g.calls);
        assert.equal(number(row[col('Errors')]), g.errors);
        assert.equal(number(row[col('p50')]), us(g.latency_ms.p50));
        assert.equal(number(row[col('p99')]), us(g.latency_ms.p99));
        assert.equal(number(row[col('Max')]), us(g.latency_ms.max));
      }
      assert.equal(rows[rows.length - 1][0], 'TOTAL');
      assert.equal(number(rows[rows.length - 1][col('Calls')]), stats.total.calls);

      // Sorting by a column reorders the rows.
      await page.click('#method-table th[data-col="method"]');
      const sorted: string[] = await page.$$eval('#method-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent ?? ''));
      assert.deepEqual(sorted.slice(0, -1), [...sorted.slice(0, -1)].sort());

      // Hover over a drawn point (a pixel of the OK colour) names its call.
      await page.$eval('#latency-chart', (e) => e.scrollIntoView());
      const spot = await page.$eval('#latency-chart canvas', (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const r = canvas.getBoundingClientRect();
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 2] > 180 && d[i + 2] - d[i] > 80 && d[i + 3] > 200) {
            const p = i / 4;
            return { x: r.left + ((p % canvas.width) * r.width) / canvas.width, y: r.top + (Math.floor(p / canvas.width) * r.height) / canvas.height };
          }
        }
        return null;
      });
      assert.ok(spot, 'a point of the OK colour is drawn');
      await page.mouse.move(spot.x - 20, spot.y - 20);
      await page.mouse.move(spot.x, spot.y, { steps: 4 });
      // uPlot handles the cursor in an animation frame.
      await page.waitForFunction(() => (document.getElementById('hover') as HTMLElement).style.display === 'block', { timeout: 5000 }).catch(() => undefined);
      const hover = await page.$eval('#hover', (e) => ({ text: e.textContent ?? '', shown: (e as HTMLElement).style.display }));
      assert.equal(hover.shown, 'block');
      assert.match(hover.text, /^\/(grpctk\.demo\.Demo|helloworld\.Greeter)\/\w+\nOK · /);
      assert.match(hover.text, /tcp\.stream \d+, stream \d+/);

      // A failed call opens to its messages, trailers and a decode command that finds exactly that call.
      const failed = await page.$$('#failed details.call');
      assert.equal(failed.length, 4);
      const invalid = await page.$$eval('#failed details.call summary', (ss) => ss.findIndex((s) => (s.textContent ?? '').includes('INVALID_ARGUMENT')));
      assert.ok(invalid >= 0);
      await (await failed[invalid].$('summary'))!.click();
      // The details are built when the element's toggle event arrives, a task after the click.
      await failed[invalid].waitForSelector('.body');
      const body = await failed[invalid].$eval('.body', (b) => b.textContent ?? '');
      assert.match(body, /→ request #0/);
      assert.match(body, /"action": "error"/);
      assert.match(body, /grpc-message/);
      assert.match(body, /HEADERS/);
      const command = await failed[invalid].$eval('.cmd code', (c) => c.textContent ?? '');
      const words = shellWords(command);
      assert.deepEqual(words.slice(0, 2), ['grpctk', 'decode']);
      const run = grpctk([...words.slice(1), '--format', 'ndjson']);
      const decoded = ndjson(run.stdout).filter((r) => r.type === 'call');
      assert.equal(decoded.length, 1, `${command}\n${JSON.stringify(words)}\n${run.stderr}`);
      assert.equal(decoded[0].status, 3);
      await shot(page, 'grpcjs-basic');
      t.diagnostic(`screenshots in ${SHOTS}`);
    } finally {
      await page.close();
    }
  });

  test('hostile strings in methods, headers and messages show as text and run nothing', async () => {
    // decode's NDJSON of the hostile sample, with HTML and a bidi override where captured text goes.
    const records = ndjson(grpctk(['decode', '-F', 'ndjson', '--frames', path.join(SAMPLES, 'hostile.pcapng')]).stdout);
    for (const r of records) {
      if ('method' in r) r.method = HOSTILE_METHOD;
      if (r.type === 'call') {
        r.request_headers['x-html'] = HOSTILE_HEADER;
        r.grpc_message = `<b>${r.grpc_message ?? ''}</b>`;
      }
    }
    const input = path.join(tmp, 'hostile-html.ndjson');
    fs.writeFileSync(input, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const file = report(input);
    const { page, errors, requests, dialogs } = await openReport(browser, file);
    try {
      assert.deepEqual(dialogs, []);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      assert.equal(await page.$$eval('script', (s) => s.length), 2);
      assert.equal(await page.$$eval('img, b', (s) => s.length), 0);
      const method = await page.$eval('#method-table tbody tr td', (td) => td.textContent);
      // The markup is text; the bidi override is shown escaped, so the name reads as it is.
      assert.equal(method, '/x.Y/</script><script>alert(1)</script>\\u202egnp.exe');
      const failed = await page.$$('#failed details.call');
      assert.ok(failed.length > 0);
      await (await failed[0].$('summary'))!.click();
      await failed[0].waitForSelector('.body');
      const body = await failed[0].$eval('.body', (b) => b.textContent ?? '');
      assert.ok(body.includes(HOSTILE_HEADER));
      assert.ok(body.includes('<b>failed: =HYPERLINK'));
      // Control characters of the hostile strings are escapes, not raw bytes.
      assert.ok(body.includes('\\x1b[31mred'));
      assert.ok(!/[\u0000-\u0008\u001b\u202e]/.test(body));
      assert.equal(await page.$$eval('img, b, script:not([id])', (s) => s.length), 1);
      await shot(page, 'hostile');
    } finally {
      await page.close();
    }
  });

  test('every sample gives a page that opens offline without errors', async () => {
    const viewer = await reusablePage(browser);
    try {
      for (const sample of readySamples()) {
        const file = report(path.join(SAMPLES, sample));
        const { page, errors, requests } = await viewer.open(file);
        try {
          assert.deepEqual(errors, [], sample);
          assert.deepEqual(requests, [], sample);
          const calls = await page.$eval('.facts', (f) => f.textContent ?? '');
          assert.match(calls, /calls/, sample);
          if (LONG) await shot(page, sample);
        } catch (err) {
          await shot(page, sample);
          throw err;
        }
      }
    } finally {
      await viewer.close();
    }
  });
});
