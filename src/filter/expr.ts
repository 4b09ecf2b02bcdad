/**
 * Display filters (`-Y EXPR`, `--display-filter`): Wireshark's display filter language over the record
 * fields of ../records/fields.ts, the one field registry.
 *
 *   status != 0 && duration_ms > 100 && request_headers["user-agent"] contains "python"
 *   method matches "Inventory/(Get|List)" or status_name in {"NOT_FOUND" "UNAVAILABLE"}
 *   not complete || errors
 *
 * Grammar (lowest precedence first; `and` binds tighter than `or`, as in Wireshark):
 *
 *   expr    := and ( ('||' | 'or') and )*
 *   and     := not ( ('&&' | 'and') not )*
 *   not     := ('!' | 'not') not | '(' expr ')' | test
 *   test    := operand [ relop operand | 'contains' operand | ('matches' | '~') string | 'in' set ]
 *   relop   := '==' | '!=' | '<' | '<=' | '>' | '>=' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
 *   set     := '{' ( item [','] )* '}'        item := literal | literal '..' literal
 *   operand := field ( '[' (string | number) ']' | '.' name )* | literal
 *   literal := "double-quoted string" | number | true | false | a bare word that names no field
 *
 * Meaning, as in Wireshark:
 *  - a field alone tests that it is present (null counts as absent: `grpc_message`, `errors`,
 *    `request_headers["x-request-id"]`);
 *  - a comparison with an absent field is false, so `status != 0` leaves out calls that have no status and
 *    `!(status == 0)` keeps them;
 *  - `contains` is a case-sensitive substring test; `matches` a regular expression, case-insensitive unless
 *    it starts with `(?-i)`; on a list (`errors`) any element may match, on an object (`body`, headers) its
 *    JSON text is searched;
 *  - numbers compare as numbers, `ts`/`start`/`end` as times (ISO-8601 or epoch seconds on the right),
 *    `status` also takes names (`status == NOT_FOUND`), header names are compared in lower case.
 *
 * Record kinds: a message record takes the fields it lacks from its call when the call is given (the
 * caller joins them by `call_id`, see ./join.ts), so `status != 0` also selects the messages of failed calls.
 * A call record lacks message-only fields (`length`, `body`, …): comparisons with them are false there.
 *
 * Why not a library: the well-kept expression libraries speak JavaScript's grammar or their own, not
 * Wireshark's (`contains`, `matches`, `in {…}`, bare literals like `127.0.0.1:50051`, names with dots and
 * hyphens such as `request_headers.user-agent`); see the README's dependency notes. This parser is a small
 * recursive descent over tokens; evaluation is a tree walk, no code is generated and nothing is evaluated
 * but the comparisons below.
 */
import { UsageError } from '../errors';
import { CALL_FIELDS, MESSAGE_FIELDS, type FieldKind } from '../records/fields';
import { grpcStatusCode } from '../records/status';
import { parseIsoTimeNs } from '../records/time';

/** A compiled display filter. */
export interface DisplayFilter {
  /** The text as given. */
  readonly text: string;
  /** Top-level field names the expression reads. */
  readonly fields: ReadonlySet<string>;
  /** Reads a field that call records have and message records lack: a message is judged with its call. */
  readonly needsCall: boolean;
  /** Reads a field that only message records have (`length`, `body`, …). */
  readonly messageOnly: string | null;
  /** Judge `record`; names it lacks are read from `fallback` (a message's call) when given. */
  match(record: object, fallback?: object): boolean;
}

type Rec = Record<string, unknown>;

/** Field names and kinds known to the language: the registry, plus `type`, `call_id`. */
const KINDS = new Map<string, FieldKind>();
for (const f of [...MESSAGE_FIELDS, ...CALL_FIELDS]) KINDS.set(f.name, f.kind);
KINDS.set('type', 'string');
KINDS.set('call_id', 'string');
const MESSAGE_NAMES = new Set([...MESSAGE_FIELDS.map((f) => f.name), 'type', 'call_id']);
const CALL_NAMES = new Set([...CALL_FIELDS.map((f) => f.name), 'type', 'call_id']);
const TIME_FIELDS = new Set(['ts', 'start', 'end']);
const HEADER_FIELDS = new Set(['request_headers', 'response_headers', 'trailers']);

// --- tokens ---------------------------------------------------------------------------------------------

type TokKind = 'op' | 'word' | 'string' | 'end';
interface Token {
  kind: TokKind;
  text: string;
  /** 0-based offset in the filter text. */
  pos: number;
  /** A word that was written as a quoted string: never a field or keyword. */
  quoted?: boolean;
}

const OPS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '..', '=', '<', '>', '!', '~', '(', ')', '{', '}', '[', ']', ',', '.'];
/** Characters of a bare word: field names (`request_headers.user-agent`), numbers, addresses, times. */
const WORD = /[A-Za-z0-9_:\-+]/;

function fail(text: string, pos: number, reason: string): never {
  const col = pos + 1;
  throw new UsageError(`-Y: ${reason} at column ${col} of ${JSON.stringify(text)}`);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '"') {
      const start = i;
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(text, start, 'unterminated string');
        const c = text[i];
        if (c === '"') break;
        if (c === '\\') {
          const e = text[i + 1];
          if (e === undefined) fail(text, start, 'unterminated string');
          if (e === 'n') s += '\n';
          else if (e === 't') s += '\t';
          else if (e === 'r') s += '\r';
          else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
            s += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 2;
          } else s += e;
          i += 2;
          continue;
        }
        s += c;
        i++;
      }
      out.push({ kind: 'string', text: s, pos: start, quoted: true });
      i++;
      continue;
    }
    if (ch === "'") fail(text, i, 'strings are written in double quotes ("…")');
    if (WORD.test(ch)) {
      // A word runs over name characters and single dots (`a.b`, `1.5`, `127.0.0.1:50051`), stopping at `..`.
      const start = i;
      while (i < text.length && (WORD.test(text[i]) || (text[i] === '.' && text[i + 1] !== '.' && i + 1 < text.length && WORD.test(text[i + 1])))) i++;
      out.push({ kind: 'word', text: text.slice(start, i), pos: start });
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op === undefined) fail(text, i, `unexpected ${JSON.stringify(ch)}`);
    out.push({ kind: 'op', text: op, pos: i });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', pos: text.length });
  return out;
}

// --- syntax tree ----------------------------------------------------------------------------------------

type Path = Array<string | number>;

interface FieldRef {
  kind: 'field';
  name: string;
  /** Steps below the top-level field (header names lower-cased). */
  path: Path;
  pos: number;
}

interface Literal {
  kind: 'literal';
  /** The text as written (a number's text, a string's contents). */
  text: string;
  /** Its numeric value, when it is a number (or a status name for `status`). */
  num: number | null;
  /** Its time in epoch nanoseconds, when it reads as one. */
  time: bigint | null;
  pos: number;
}

type Operand = FieldRef | Literal;
type Relop = '==' | '!=' | '<' | '<=' | '>' | '>=';

type Node =
  | { kind: 'or' | 'and'; left: Node; right: Node }
  | { kind: 'not'; arg: Node }
  | { kind: 'exists'; field: FieldRef }
  | { kind: 'cmp'; op: Relop; left: Operand; right: Operand }
  | { kind: 'contains'; left: Operand; right: Operand }
  | { kind: 'matches'; left: Operand; re: RegExp }
  | { kind: 'in'; left: Operand; items: Array<Literal | { lo: Literal; hi: Literal }> };

const WORD_RELOPS: Record<string, Relop> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };
const SYMBOL_RELOPS: Record<string, Relop> = { '==': '==', '===': '==', '!=': '!=', '!==': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'matches', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);

class Parser {
  private i = 0;
  readonly fields = new Set<string>();

  constructor(private readonly text: string, private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i];
  }

  private next(): Token {
    return this.toks[this.i++];
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.text);
  }

  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toLowerCase());
  }

  parse(): Node {
    if (this.peek().kind === 'end') fail(this.text, 0, 'empty filter');
    const node = this.or();
    const t = this.peek();
    if (t.kind !== 'end') {
      fail(this.text, t.pos, `unexpected ${describeToken(t)} (expected "&&", "||" or the end; between tests write && or ||)`);
    }
    return node;
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp(this.peek(), '||') || this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isOp(this.peek(), '&&') || this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Node {
    const t = this.peek();
    if (this.isOp(t, '!') || this.isWord(t, 'not')) {
      this.next();
      return { kind: 'not', arg: this.not() };
    }
    if (this.isOp(t, '(')) {
      this.next();
      const inner = this.or();
      const close = this.next();
      if (!this.isOp(close, ')')) fail(this.text, close.pos, `expected ")" to close the "(" at column ${t.pos + 1}, found ${describeToken(close)}`);
      return inner;
    }
    return this.test();
  }

  private test(): Node {
    const left = this.operand(true);
    const t = this.peek();
    const relop = t.kind === 'op' ? SYMBOL_RELOPS[t.text] : t.kind === 'word' ? WORD_RELOPS[t.text.toLowerCase()] : undefined;
    if (relop !== undefined) {
      this.next();
      const right = this.operand(false, left);
      this.checkComparable(left, right, relop, t);
      return { kind: 'cmp', op: relop, left, right };
    }
    if (this.isWord(t, 'contains')) {
      this.next();
      const right = this.operand(false, left);
      return { kind: 'contains', left, right };
    }
    if (this.isWord(t, 'matches') || this.isOp(t, '~')) {
      this.next();
      const r = this.next();
      if (r.kind !== 'string') fail(this.text, r.pos, 'matches takes a regular expression in double quotes');
      let source = r.text;
      let flags = 'i';
      if (source.startsWith('(?-i)')) {
        source = source.slice(5);
        flags = '';
      }
      let re: RegExp;
      try {
        re = new RegExp(source, flags);
      } catch (e) {
        fail(this.text, r.pos, `bad regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
      }
      return { kind: 'matches', left, re };
    }
    if (this.isWord(t, 'in')) {
      this.next();
      return { kind: 'in', left, items: this.set(left) };
    }
    if (this.isOp(t, '=')) fail(this.text, t.pos, 'use == to compare');
    if (left.kind === 'literal') fail(this.text, left.pos, `${JSON.stringify(left.text)} is not a field (fields: ${fieldList()})`);
    return { kind: 'exists', field: left };
  }

  private set(left: Operand): Array<Literal | { lo: Literal; hi: Literal }> {
    const open = this.next();
    if (!this.isOp(open, '{')) fail(this.text, open.pos, 'in takes a set: {1 2 3} or {"a", "b"} or {1..5}');
    const items: Array<Literal | { lo: Literal; hi: Literal }> = [];
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '}')) {
        this.next();
        break;
      }
      if (this.isOp(t, ',')) {
        this.next();
        continue;
      }
      if (t.kind === 'end') fail(this.text, open.pos, 'unclosed "{"');
      const lo = this.literal(left);
      if (this.isOp(this.peek(), '..')) {
        this.next();
        const hi = this.literal(left);
        if ((lo.num === null || hi.num === null) && (lo.time === null || hi.time === null)) fail(this.text, lo.pos, 'a range needs numbers or times at both ends');
        items.push({ lo, hi });
      } else items.push(lo);
    }
    if (items.length === 0) fail(this.text, open.pos, 'empty set');
    return items;
  }

  private literal(context: Operand): Literal {
    const t = this.next();
    const op = this.toOperand(t, false, context);
    if (op.kind !== 'literal') fail(this.text, t.pos, 'a set holds values, not fields');
    return op;
  }

  private operand(first: boolean, context?: Operand): Operand {
    const t = this.next();
    return this.toOperand(t, first, context);
  }

  private toOperand(t: Token, first: boolean, context?: Operand): Operand {
    if (t.kind === 'end') fail(this.text, t.pos, first ? 'expected a field' : 'expected a value');
    if (t.kind === 'op') fail(this.text, t.pos, `unexpected ${describeToken(t)} (expected ${first ? 'a field' : 'a value'})`);
    if (t.kind === 'word' && KEYWORDS.has(t.text.toLowerCase())) fail(this.text, t.pos, `unexpected "${t.text}" (expected ${first ? 'a field' : 'a value'})`);
    if (t.kind === 'word') {
      const top = t.text.split('.')[0];
      if (KINDS.has(top)) return this.field(t);
      if (first && !/^[0-9+-]/.test(t.text)) fail(this.text, t.pos, unknownField(top));
    }
    return this.makeLiteral(t, context);
  }

  private field(t: Token): FieldRef {
    const parts = t.text.split('.');
    const name = parts[0];
    const kind = KINDS.get(name)!;
    const path: Path = parts.slice(1);
    while (this.isOp(this.peek(), '[', '.')) {
      const open = this.next();
      if (open.text === '.') {
        const name = this.next();
        if (name.kind !== 'word' || name.pos !== open.pos + 1) fail(this.text, open.pos, 'expected a name right after "."');
        path.push(...name.text.split('.'));
        continue;
      }
      const key = this.next();
      if (key.kind === 'string') path.push(key.text);
      else if (key.kind === 'word' && /^\d+$/.test(key.text)) path.push(Number(key.text));
      else fail(this.text, key.pos, 'expected a quoted name or an index inside [ ]');
      const close = this.next();
      if (!this.isOp(close, ']')) fail(this.text, close.pos, `expected "]" to close the "[" at column ${open.pos + 1}`);
    }
    if (path.length > 0 && kind !== 'object' && kind !== 'any' && kind !== 'string[]') {
      fail(this.text, t.pos, `${name} is a ${kind}: it has no parts to select`);
    }
    if (HEADER_FIELDS.has(name) && path.length > 0 && typeof path[0] === 'string') path[0] = path[0].toLowerCase();
    this.fields.add(name);
    return { kind: 'field', name, path, pos: t.pos };
  }

  private makeLiteral(t: Token, context?: Operand): Literal {
    const text = t.text;
    let num: number | null = null;
    if (!t.quoted && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) num = Number(text);
    else if (!t.quoted && /^0x[0-9a-fA-F]+$/.test(text)) num = Number(text);
    else if (!t.quoted && (text === 'true' || text === 'false')) num = null;
    let time: bigint | null = null;
    if (context?.kind === 'field' && TIME_FIELDS.has(context.name) && context.path.length === 0) {
      const epoch = /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(text);
      time = epoch ? BigInt(epoch[1]) * 1_000_000_000n + BigInt((epoch[2] ?? '').padEnd(9, '0')) : parseIsoTimeNs(text);
      if (time === null) fail(this.text, t.pos, `${context.name} is a time: expected ISO-8601 (2026-11-21T03:39:12Z) or epoch seconds, not ${JSON.stringify(text)}`);
    }
    if (context?.kind === 'field' && context.path.length === 0 && num === null) {
      const kind = KINDS.get(context.name);
      if (context.name === 'status' && grpcStatusCode(text) !== undefined) num = grpcStatusCode(text)!;
      else if (kind === 'integer' || kind === 'number') {
        fail(this.text, t.pos, `${context.name} is a number, not ${JSON.stringify(text)}${context.name === 'status' ? ' (or a status name such as NOT_FOUND)' : ''}`);
      } else if (kind === 'boolean' && text !== 'true' && text !== 'false') {
        fail(this.text, t.pos, `${context.name} is true or false, not ${JSON.stringify(text)}`);
      }
    }
    return { kind: 'literal', text, num, time, pos: t.pos };
  }

  private checkComparable(left: Operand, right: Operand, op: Relop, at: Token): void {
    if (left.kind === 'literal' && right.kind === 'literal') fail(this.text, left.pos, 'a comparison needs a field on one side');
    const f = left.kind === 'field' ? left : (right as FieldRef);
    const kind = KINDS.get(f.name);
    if (f.path.length === 0 && (kind === 'object' || kind === 'string[]')) {
      const hint = HEADER_FIELDS.has(f.name) ? `: name a header, e.g. ${f.name}["user-agent"]` : ': use contains, or select an element';
      fail(this.text, f.pos, `${f.name} is ${kind === 'object' ? 'an object' : 'a list'}${hint}`);
    }
    if ((op !== '==' && op !== '!=') && f.path.length === 0 && kind === 'boolean') fail(this.text, at.pos, `${f.name} is true or false: compare it with == or !=`);
  }
}

function describeToken(t: Token): string {
  if (t.kind === 'end') return 'the end of the filter';
  if (t.kind === 'string') return JSON.stringify(t.text);
  return `"${t.text}"`;
}

function fieldList(): string {
  return [...KINDS.keys()].join(', ');
}

function unknownField(name: string): string {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of KINDS.keys()) {
    const d = distance(name.toLowerCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const hint = best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? `did you mean ${best}?` : `fields: ${fieldList()}`;
  return `unknown field ${JSON.stringify(name)} (${hint}; text values are written in double quotes)`;
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// --- evaluation -----------------------------------------------------------------------------------------

/** `call_id` for records written before the field existed: `TCP_STREAM/STREAM`. */
function callIdOf(r: Rec): unknown {
  if (r.call_id !== undefined) return r.call_id;
  if (typeof r.tcp_stream === 'number' && typeof r.stream === 'number' && r.type !== 'frame') return `${r.tcp_stream}/${r.stream}`;
  return undefined;
}

function resolve(f: FieldRef, record: Rec, fallback: Rec | undefined): unknown {
  let v: unknown = f.name === 'call_id' ? callIdOf(record) : record[f.name];
  if (v === undefined && fallback !== undefined) v = f.name === 'call_id' ? callIdOf(fallback) : fallback[f.name];
  for (const step of f.path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (Array.isArray(v)) v = typeof step === 'number' || /^\d+$/.test(step) ? v[Number(step)] : undefined;
    else if (typeof step === 'number') v = (v as Rec)[String(step)];
    else v = Object.prototype.hasOwnProperty.call(v, step) ? (v as Rec)[step] : undefined;
  }
  return v;
}

/** A numeric reading of a value: numbers, and strings that are numbers (int64 as JSON strings). */
function asNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.length > 0 && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v);
  return null;
}

function compare(op: Relop, c: number): boolean {
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
  }
}

function order<T extends number | bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compare a value with a literal; null when they cannot be compared (the test is then false). */
function compareLiteral(v: unknown, lit: Literal, isTime: boolean): number | null {
  if (isTime) {
    if (typeof v !== 'string' || lit.time === null) return null;
    const t = parseIsoTimeNs(v);
    return t === null ? null : order(t, lit.time);
  }
  if (lit.num !== null) {
    const n = asNumber(v);
    if (n !== null) return order(n, lit.num);
  }
  if (typeof v === 'boolean') return lit.text === 'true' || lit.text === 'false' ? order(String(v), lit.text) : null;
  if (typeof v === 'string') return order(v, lit.text);
  if (typeof v === 'number') return null;
  return null;
}

function compareValues(a: unknown, b: unknown): number | null {
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== null && nb !== null) return order(na, nb);
  if (typeof a === 'string' && typeof b === 'string') return order(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return order(Number(a), Number(b));
  return null;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** The texts a `contains`/`matches` test looks at: a string, each string of a list, else the JSON text. */
function texts(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  return [JSON.stringify(v)];
}

function evaluate(n: Node, r: Rec, fb: Rec | undefined): boolean {
  switch (n.kind) {
    case 'or':
      return evaluate(n.left, r, fb) || evaluate(n.right, r, fb);
    case 'and':
      return evaluate(n.left, r, fb) && evaluate(n.right, r, fb);
    case 'not':
      return !evaluate(n.arg, r, fb);
    case 'exists': {
      const v = resolve(n.field, r, fb);
      if (!present(v)) return false;
      // An empty list or header object counts as absent: `errors`, `trailers` test that there are some.
      if (Array.isArray(v)) return v.length > 0;
      if (typeof v === 'object' && n.field.path.length === 0 && HEADER_FIELDS.has(n.field.name)) return Object.keys(v as object).length > 0;
      return true;
    }
    case 'cmp': {
      if (n.left.kind === 'field' && n.right.kind === 'field') {
        const a = resolve(n.left, r, fb);
        const b = resolve(n.right, r, fb);
        if (!present(a) || !present(b)) return false;
        const c = compareValues(a, b);
        return c !== null && compare(n.op, c);
      }
      const field = (n.left.kind === 'field' ? n.left : n.right) as FieldRef;
      const lit = (n.left.kind === 'literal' ? n.left : n.right) as Literal;
      const v = resolve(field, r, fb);
      if (!present(v)) return false;
      const c = compareLiteral(v, lit, TIME_FIELDS.has(field.name) && field.path.length === 0);
      if (c === null) return false;
      // A literal on the left reads the other way round: `100 < duration_ms`.
      return compare(n.op, n.left.kind === 'literal' ? -c : c);
    }
    case 'contains': {
      const v = n.left.kind === 'field' ? resolve(n.left, r, fb) : n.left.text;
      const needle = n.right.kind === 'field' ? resolve(n.right, r, fb) : n.right.text;
      if (!present(v) || typeof needle !== 'string') return false;
      return texts(v).some((s) => s.includes(needle));
    }
    case 'matches': {
      const v = n.left.kind === 'field' ? resolve(n.left, r, fb) : n.left.text;
      if (!present(v)) return false;
      return texts(v).some((s) => n.re.test(s));
    }
    case 'in': {
      const v = n.left.kind === 'field' ? resolve(n.left, r, fb) : n.left.text;
      if (!present(v)) return false;
      const isTime = n.left.kind === 'field' && TIME_FIELDS.has(n.left.name) && n.left.path.length === 0;
      return n.items.some((item) => {
        if ('lo' in item) {
          const lo = compareLiteral(v, item.lo, isTime);
          const hi = compareLiteral(v, item.hi, isTime);
          return lo !== null && hi !== null && lo >= 0 && hi <= 0;
        }
        return compareLiteral(v, item, isTime) === 0;
      });
    }
  }
}

/** Compile `-Y` text; a mistake throws UsageError with one line naming the column. */
export function compileDisplayFilter(text: string): DisplayFilter {
  const parser = new Parser(text, tokenize(text));
  const root = parser.parse();
  const fields = parser.fields;
  let needsCall = false;
  let messageOnly: string | null = null;
  for (const name of fields) {
    if (CALL_NAMES.has(name) && !MESSAGE_NAMES.has(name)) needsCall = true;
    if (MESSAGE_NAMES.has(name) && !CALL_NAMES.has(name) && messageOnly === null) messageOnly = name;
  }
  return {
    text,
    fields,
    needsCall,
    messageOnly,
    match: (record, fallback) => evaluate(root, record as Rec, fallback as Rec | undefined),
  };
}
