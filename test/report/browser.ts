/**
 * Debian's chromium driven by puppeteer-core (which downloads nothing): opens a report file as a user would,
 * and records what the page logs and every request it makes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Opened {
  page: Page;
  /** Console errors and page errors (uncaught exceptions, CSP violations). */
  errors: string[];
  /** URLs of every request after the report itself. */
  requests: string[];
  /** Dialogs (alert, confirm, prompt) the page opened: a script that ran. */
  dialogs: string[];
}

export async function launch(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'grpctk-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function openReport(browser: Browser, file: string, viewport = { width: 1280, height: 900 }): Promise<Opened> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  return watch(page).open(file);
}

/**
 * One page that opens report after report (a navigation each), for a test that looks at many: a new tab per
 * report costs chromium about twice the CPU time. What each open records starts empty.
 */
export async function reusablePage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<{ open: (file: string) => Promise<Opened>; close: () => Promise<void> }> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const watched = watch(page);
  return { open: watched.open, close: () => page.close() };
}

/** Listeners on `page` that record into the arrays of the report opened last. */
function watch(page: Page): { open: (file: string) => Promise<Opened> } {
  let current: Opened = { page, errors: [], requests: [], dialogs: [] };
  let url = '';
  page.on('console', (m) => {
    if (m.type() === 'error') current.errors.push(m.text());
  });
  page.on('pageerror', (e) => current.errors.push(String(e)));
  page.on('request', (r) => {
    if (r.url() !== url) current.requests.push(r.url());
  });
  page.on('dialog', (d) => {
    current.dialogs.push(d.message());
    void d.dismiss();
  });
  return {
    open: async (file: string) => {
      url = 'file://' + path.resolve(file);
      current = { page, errors: [], requests: [], dialogs: [] };
      const opened = current;
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined, { timeout: 20_000 });
      return opened;
    },
  };
}
