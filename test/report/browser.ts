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
  const errors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  const url = 'file://' + path.resolve(file);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined, { timeout: 20_000 });
  return { page, errors, requests, dialogs };
}
