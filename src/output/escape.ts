/**
 * Captured bytes are attacker-controlled. Before any of them reaches a terminal, control characters are
 * escaped so that an ANSI sequence in a status message cannot repaint the screen, move the cursor or set the
 * window title. UTF-8 text is kept as it is.
 */

// C0 controls except none, DEL, C1 controls (U+0080–U+009F: 8-bit CSI among them), line/paragraph separators,
// and the bidirectional overrides that can make text read differently from what it is (CVE-2021-42574).
// In JSON text, C0 controls can only be structure (pretty-printing's newlines): JSON.stringify escapes them
// inside strings. What it leaves raw is DEL, C1 and the separators and overrides below.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_JSON_TEST = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_TEST = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
}

/** For free text shown on a terminal: control characters become visible escapes (\n, \x1b, \u202e). */
export function escapeText(s: string): string {
  if (!UNSAFE_TEST.test(s) && !s.includes('\\')) return s;
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g, escapeChar);
}

/**
 * For JSON text: JSON.stringify already escapes C0 controls, but not DEL, C1 controls or the bidi overrides;
 * they become \uXXXX escapes, which every JSON parser reads back as the same string.
 */
export function escapeJson(json: string): string {
  if (!UNSAFE_IN_JSON_TEST.test(json)) return json;
  return json.replace(UNSAFE_IN_JSON, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
