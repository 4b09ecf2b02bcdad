/**
 * The one rule for what grpctk writes to a terminal. Captured bytes are attacker-controlled: before any of
 * them reaches a terminal (the text view, the stats table, split's index, CSV, warnings and error lines that
 * quote captured strings), the characters below are written as visible escapes, so that an ANSI sequence in
 * a status message cannot repaint the screen, move the cursor or set the window title, and text cannot read
 * differently from what it is. Every writer uses the functions of this file; none has a list of its own.
 *
 * The characters (UNSAFE):
 *  - C0 controls U+0000–001F and DEL U+007F: ESC starts ANSI sequences, CR and BS overwrite what was shown;
 *  - C1 controls U+0080–009F: U+009B is an 8-bit CSI, U+009D an 8-bit OSC, which some terminals obey;
 *  - the bidirectional embeddings, overrides and isolates U+202A–202E and U+2066–2069, and the marks
 *    U+200E, U+200F, U+061C (CVE-2021-42574, "Trojan Source": text displayed in another order than it is);
 *  - the line and paragraph separators U+2028 and U+2029 (line breaks to some viewers and to JavaScript);
 *  - invisible format characters that hide or join text: soft hyphen U+00AD, Mongolian vowel separator
 *    U+180E, zero-width space U+200B, word joiner and invisible operators U+2060–2064, the deprecated
 *    format controls U+206A–206F, the byte order mark / zero-width no-break space U+FEFF, the interlinear
 *    annotation controls U+FFF9–FFFB, and the tag characters U+E0000–E007F (which carry invisible ASCII).
 * Left as they are: U+200C and U+200D (zero-width non-joiner and joiner), which Persian, Indic scripts and
 * emoji sequences need, and every other character (UTF-8 text is kept).
 */

// eslint-disable-next-line no-control-regex
const UNSAFE_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\u{e0000}-\\u{e007f}';
/** The unsafe characters beyond C0: what JSON.stringify leaves raw inside strings. */
const UNSAFE_ABOVE_C0_CLASS = UNSAFE_CLASS.replace('\\u0000-\\u001f', '');

const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`, 'u');
const UNSAFE_ALL = new RegExp(`[${UNSAFE_CLASS}]`, 'gu');
const UNSAFE_OR_BACKSLASH_ALL = new RegExp(`[${UNSAFE_CLASS}\\\\]`, 'gu');
const UNSAFE_IN_JSON = new RegExp(`[${UNSAFE_ABOVE_C0_CLASS}]`, 'u');
const UNSAFE_IN_JSON_ALL = new RegExp(`[${UNSAFE_ABOVE_C0_CLASS}]`, 'gu');

/** True when `s` holds a character that is never written raw to a terminal. */
export function hasUnsafe(s: string): boolean {
  return UNSAFE.test(s);
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/** One character as an escape: \n, \r, \t, \\, \xNN up to U+00FF, \uXXXX, \u{XXXXX} beyond the BMP. */
function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.codePointAt(0) as number;
  if (code <= 0xff) return '\\x' + code.toString(16).padStart(2, '0');
  if (code <= 0xffff) return '\\u' + code.toString(16).padStart(4, '0');
  return '\\u{' + code.toString(16) + '}';
}

/**
 * For free text shown on a terminal (the text view, warnings, error lines): unsafe characters become
 * visible escapes (\n, \x1b, \u202e) and a backslash is doubled, so the escaped text reads back unambiguously.
 */
export function escapeText(s: string): string {
  if (!UNSAFE.test(s) && !s.includes('\\')) return s;
  return s.replace(UNSAFE_OR_BACKSLASH_ALL, escapeChar);
}

/**
 * For a cell (a stats table, a CSV cell): unsafe characters become escapes, backslashes are left alone, so
 * a value without unsafe characters is shown exactly as it is and escaping twice changes nothing.
 */
export function escapeCell(s: string): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_ALL, escapeChar);
}

/**
 * For JSON text (NDJSON, JSON, split's index): JSON.stringify already escapes C0 controls inside strings
 * (and outside them C0 can only be structure: pretty-printing's newlines); the other unsafe characters
 * become \uXXXX escapes (a surrogate pair beyond the BMP), which every JSON parser reads back as the same
 * string.
 */
export function escapeJson(json: string): string {
  if (!UNSAFE_IN_JSON.test(json)) return json;
  return json.replace(UNSAFE_IN_JSON_ALL, (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += '\\u' + c.charCodeAt(i).toString(16).padStart(4, '0');
    return out;
  });
}
