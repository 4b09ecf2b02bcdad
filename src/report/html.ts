/**
 * The report as one self-contained HTML file: the page's script (./page.js) and style (./page.css), uPlot's
 * script and style, and the data, all inlined. Viewing it makes no request: a Content-Security-Policy meta
 * tag allows only the inlined script and style (by their SHA-256) and nothing from anywhere else.
 *
 * The data travels as JSON inside `<script type="application/json">` (never executed, read with
 * JSON.parse), with `<`, `>` and `&` written as \u escapes so no captured text can close the element or
 * open another; the page then sets every string as text (textContent), never as markup.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Where page.js and page.css live: beside this file in src/, and found from dist/ too (the package ships src/). */
function assetPath(name: string): string {
  const here = path.join(__dirname, name);
  if (fs.existsSync(here)) return here;
  return path.join(__dirname, '..', '..', 'src', 'report', name);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** JSON that is inert inside a script element: no `<`, `>`, `&`, nor the JavaScript line separators. */
export function inertJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

let assets: { script: string; style: string } | undefined;

function loadAssets(): { script: string; style: string } {
  if (assets) return assets;
  const uplotScript = fs.readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotStyle = fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const pageScript = fs.readFileSync(assetPath('page.js'), 'utf8');
  const pageStyle = fs.readFileSync(assetPath('page.css'), 'utf8');
  // A script element ends at the first `</script`: neither file has one (checked, so a future version cannot
  // silently break the page).
  for (const [name, text] of [['uPlot', uplotScript], ['page.js', pageScript]] as const) {
    if (/<\/script/i.test(text)) throw new Error(`${name} contains </script: it cannot be inlined`);
  }
  assets = { script: `${uplotScript}\n${pageScript}`, style: `${uplotStyle}\n${pageStyle}` };
  return assets;
}

export function renderReportHtml(data: unknown): string {
  const { script, style } = loadAssets();
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(script)}'`,
    `style-src 'sha256-${sha256(style)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<meta name="referrer" content="no-referrer">\n' +
    '<title>grpctk report</title>\n' +
    `<style>${style}</style>\n</head>\n<body>\n` +
    '<noscript>This report draws its charts and tables with JavaScript; allow scripts for this file to see it.</noscript>\n' +
    `<script type="application/json" id="grpctk-data">${inertJson(data)}</script>\n` +
    `<script>${script}</script>\n</body>\n</html>\n`
  );
}
