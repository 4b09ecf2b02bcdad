/**
 * File names of split parts. Keys come from the capture (addresses, method paths a peer chose), so they are
 * hostile input: every field value is sanitized to safe characters before it meets the `--name` template,
 * the template itself may not name a directory, and names that collide get a numeric suffix. Whatever a
 * capture holds, a part is a plain file directly inside `-o DIR`.
 */
import { createHash } from 'crypto';
import { UsageError } from '../errors';

/** Default `--name`: the part's number, then its key (`0000-10.0.0.2_50051.pcapng`). */
export const DEFAULT_NAME_TEMPLATE = '{index}-{key}.pcapng';

/**
 * Longest sanitized field value, in characters. Longer values (a method path can be kilobytes) are cut and
 * end in `~` plus 8 hex digits of a hash of the whole value, so two long keys that share a prefix still get
 * different names. With the rest of a template this keeps names under the usual 255-byte limit.
 */
export const MAX_FIELD_CHARS = 120;

/** Longest file name produced, in characters (NAME_MAX of Linux and macOS file systems is 255 bytes). */
export const MAX_NAME_CHARS = 240;

/** Digits of `{index}` at least (`0000`); more when there are more parts. */
export const INDEX_DIGITS = 4;

const UNSAFE = /[^A-Za-z0-9._-]/g;

/**
 * A value made safe for a file name: characters outside `[A-Za-z0-9._-]` become `_`, a leading `.` or `-`
 * becomes `_` (no hidden files, nothing a shell tool reads as an option), nothing is ever `.` or `..`, and
 * values longer than MAX_FIELD_CHARS are cut and end in `~` + a hash of the whole value.
 */
export function sanitizeField(raw: string): string {
  let s = raw.replace(UNSAFE, '_');
  if (s.length === 0) s = '_';
  if (s[0] === '.' || s[0] === '-') s = '_' + s.slice(1);
  if (s.length > MAX_FIELD_CHARS) {
    const hash = createHash('sha1').update(raw, 'utf8').digest('hex').slice(0, 8);
    // '~' is outside the safe set on purpose: a cut value can never equal a value that was not cut.
    s = s.slice(0, MAX_FIELD_CHARS - 9) + '~' + hash;
  }
  return s;
}

type Piece = { literal: string } | { field: string };

/**
 * A parsed `--name` template: text with `{field}` placeholders. `{index}` is the part's number (zero-padded);
 * the other fields are given by the split mode (`key` always; `server`, `client`, `method`, `stream` …).
 */
export class NameTemplate {
  private readonly pieces: Piece[] = [];
  readonly fields: ReadonlySet<string>;

  /** @param available the fields this split mode can fill (besides `index`). */
  constructor(readonly text: string, available: readonly string[]) {
    const allowed = new Set(['index', ...available]);
    const used = new Set<string>();
    const re = /\{([^{}]*)\}/g;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index > last) this.pieces.push({ literal: text.slice(last, m.index) });
      const name = m[1];
      if (!allowed.has(name)) {
        throw new UsageError(`--name: unknown field {${name}} (this split has: ${[...allowed].map((f) => `{${f}}`).join(', ')})`);
      }
      used.add(name);
      this.pieces.push({ field: name });
      last = m.index + m[0].length;
    }
    if (last < text.length) this.pieces.push({ literal: text.slice(last) });
    const literal = this.pieces.map((p) => ('literal' in p ? p.literal : '')).join('');
    if (/[{}]/.test(literal)) throw new UsageError(`--name: unbalanced brace in '${text}'`);
    if (/[/\\\0]/.test(literal)) throw new UsageError(`--name: '${text}' must be a file name, without / or \\ (parts go directly into -o DIR)`);
    if (used.size === 0) throw new UsageError(`--name: '${text}' has no field; add {index} or {key} so parts get different names`);
    if (text.length > MAX_NAME_CHARS) throw new UsageError(`--name: '${text}' is longer than ${MAX_NAME_CHARS} characters`);
    this.fields = used;
  }

  /** The name for part `index` with these raw (unsanitized) field values. */
  render(index: number, values: Readonly<Record<string, string>>): string {
    let out = '';
    for (const p of this.pieces) {
      if ('literal' in p) out += p.literal;
      else if (p.field === 'index') out += String(index).padStart(INDEX_DIGITS, '0');
      else out += sanitizeField(values[p.field] ?? '');
    }
    if (out.length > MAX_NAME_CHARS) {
      const hash = createHash('sha1').update(out, 'utf8').digest('hex').slice(0, 8);
      out = out.slice(0, MAX_NAME_CHARS - 9) + '~' + hash;
    }
    // A template such as "{key}" with a key of "." sanitizes to "_", so "." and ".." cannot come out; the
    // template's own text could still start with a dot.
    if (out === '.' || out === '..' || out.length === 0) out = '_' + out;
    return out;
  }
}

/**
 * Names already handed out in one output directory. A second part whose name is taken (two keys that
 * sanitize alike: `a/b` and `a:b`) gets `-1`, `-2` … before its extension. Compared case-insensitively, so the
 * parts stay distinct on case-insensitive file systems too.
 */
export class NameRegistry {
  private readonly taken = new Set<string>();

  claim(name: string): string {
    let candidate = name;
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    for (let n = 1; this.taken.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}${ext}`;
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}
