/**
 * The text views of `grpctk decode`, in tshark's habit:
 *  - the summary (default): one line per call, in the order calls end: time, time since the capture's
 *    start, duration, client → server, method, status, then messages and bytes each way;
 *  - the full view (-V, --verbose): one block per call in the wire's order (request headers, request
 *    messages, response headers, response messages, trailers), each message with its time from the call's
 *    start. A Trailers-Only response is shown once, as such.
 * Long values (a header, a grpc-message, a string inside a body) are cut at MAX_VALUE_CHARS with `…` and
 * their full length, unless --full; the NDJSON, JSON and CSV outputs always carry them whole.
 * Every string that came from the capture goes through escapeText/escapeJson: control characters become
 * visible escapes, UTF-8 stays. Colours only when asked for (a TTY without NO_COLOR).
 */
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import { msBetween, TimeOrigin } from '../records/time';
import { escapeJson, escapeText } from './escape';
import { methodLabel } from '../records/method';
import type { CallGroupSink } from './group';
import type { Output } from './sink';
import { formatInteger } from '../units';

/**
 * Longest value shown whole in the text view, in characters: a screenful of a terminal line or two,
 * enough for any header, path or ordinary string field; a 100 KB bytes field becomes one short line.
 */
export const MAX_VALUE_CHARS = 200;

interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
}

const PLAIN: Palette = { bold: (s) => s, dim: (s) => s, ok: (s) => s, bad: (s) => s, warn: (s) => s };
const ANSI: Palette = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  ok: (s) => `\x1b[32m${s}\x1b[39m`,
  bad: (s) => `\x1b[31m${s}\x1b[39m`,
  warn: (s) => `\x1b[33m${s}\x1b[39m`,
};

/** Colours on a terminal unless NO_COLOR is set (https://no-color.org) or --no-color was given. */
export function useColor(isTTY: boolean, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return isTTY;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 3 : 1)} ms`;
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Lines gathered before a write: a call with 100,000 messages is written in pieces, not as one string. */
const TEXT_BATCH_LINES = 512;
/** Seconds as tshark prints relative times: six decimals. */
function formatSeconds(s: number | null): string {
  return s === null ? '-' : s.toFixed(6);
}

/**
 * `s` cut to `max` characters with `…` and the full length, or whole when it fits (or max is Infinity).
 * Never splits a surrogate pair.
 */
export function cutValue(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}… (${formatInteger(s.length)} chars)`;
}

export interface TextOptions {
  color: boolean;
  /** The full block per call (-V) instead of one line. */
  verbose?: boolean;
  /** Values whole, however long (--full). */
  full?: boolean;
  /** The capture's start, for relative times (set by the pipeline as the first packet goes by). */
  origin?: TimeOrigin;
}

export class TextWriter implements CallGroupSink {
  private readonly c: Palette;
  private readonly verbose: boolean;
  private readonly max: number;
  private readonly origin: TimeOrigin;

  constructor(private readonly out: Output, options: TextOptions) {
    this.c = options.color ? ANSI : PLAIN;
    this.verbose = options.verbose === true;
    this.max = options.full ? Infinity : MAX_VALUE_CHARS;
    this.origin = options.origin ?? new TimeOrigin();
  }

  group(call: CallRecord, messages: MessageRecord[]): void {
    if (this.verbose) this.block(call, messages);
    else this.out.write(this.line(call) + '\n');
  }

  /**
   * One line: time, time since the capture's start, duration, client → server, the call's id (for `--call`
   * and `jq 'select(.call_id == …)'`), method, status, then the request and response messages and bytes,
   * and the grpc-message when there is one.
   */
  private line(call: CallRecord): string {
    const c = this.c;
    const rel = formatSeconds(this.origin.secondsTo(call.start)).padStart(12);
    const dur = formatDuration(call.duration_ms).padStart(10);
    const ends = `${this.text(call.client)} → ${this.text(call.server)}`;
    const method = c.bold(this.text(methodLabel(call)));
    const counts = `→ ${plural(call.request_messages, 'msg')} ${formatBytes(call.request_bytes)}, ← ${plural(call.response_messages, 'msg')} ${formatBytes(call.response_bytes)}`;
    let line = `${call.start} ${rel} ${dur}  ${ends}  ${c.dim(this.text(call.call_id))}  ${method}  ${this.outcome(call)}  ${counts}`;
    if (call.grpc_message !== null) line += `  ${c.dim(`"${this.text(call.grpc_message)}"`)}`;
    if ((call.errors ?? []).length > 0) line += `  ${c.warn(`(${plural(call.errors!.length, 'problem')}: -V shows them)`)}`;
    return line;
  }

  private block(call: CallRecord, messages: MessageRecord[]): void {
    const c = this.c;
    const lines: string[] = [];
    lines.push(`${c.bold(this.text(methodLabel(call)))}  ${this.outcome(call)}  ${formatDuration(call.duration_ms)}`);
    if (call.inferred !== undefined && call.inferred_reason !== undefined) {
      lines.push(c.warn(`  ~ inferred ${call.inferred.join(', ')}: ${this.text(call.inferred_reason)}`));
    }
    if (call.method_candidates !== undefined) {
      lines.push(c.warn(`  ~ method not known; it is one of: ${call.method_candidates.map((m) => this.text(m)).join(', ')}`));
    }
    const where = `call ${this.text(call.call_id)} · tcp.stream ${call.tcp_stream} · stream ${call.stream} · ${this.text(call.client)} → ${this.text(call.server)}`;
    const span = call.first_frame === call.last_frame ? `frame ${call.first_frame}` : `frames ${call.first_frame}–${call.last_frame}`;
    const rel = this.origin.secondsTo(call.start);
    lines.push(c.dim(`  ${where} · ${span} · ${call.start}${rel === null ? '' : ` (${formatSeconds(rel)} s)`}`));
    // The wire's order: the request (headers, messages), then the response (headers, messages, trailers).
    this.headers(lines, 'request headers', call.request_headers);
    for (const m of messages) {
      if (m.direction !== 'request') continue;
      this.message(lines, m, call.start);
      if (lines.length >= TEXT_BATCH_LINES) this.out.write(lines.splice(0).join('\n') + '\n');
    }
    this.headers(lines, 'response headers', call.response_headers);
    for (const m of messages) if (m.direction === 'response') this.message(lines, m, call.start);
    this.headers(lines, call.trailers_only ? 'trailers-only response' : 'trailers', call.trailers);
    if (call.grpc_message !== null) lines.push(`  message: ${this.text(call.grpc_message)}`);
    if (call.status_details !== undefined && call.status_details !== null) {
      lines.push('  status details:');
      lines.push(indent(this.json(call.status_details), '    '));
    }
    for (const e of call.errors ?? []) lines.push(c.warn(`  ! ${this.text(e)}`));
    this.out.write(lines.join('\n') + '\n\n');
  }

  partial(messages: MessageRecord[]): void {
    if (messages.length === 0) return;
    const m0 = messages[0];
    const c = this.c;
    const ends = `${this.text(m0.client)} → ${this.text(m0.server)}`;
    if (!this.verbose) {
      const req = messages.filter((m) => m.direction === 'request');
      const resp = messages.filter((m) => m.direction === 'response');
      const bytes = (ms: MessageRecord[]) => formatBytes(ms.reduce((n, m) => n + m.length, 0));
      const rel = formatSeconds(this.origin.secondsTo(m0.ts)).padStart(12);
      this.out.write(
        `${m0.ts} ${rel} ${'-'.padStart(10)}  ${ends}  ${c.bold(this.text(methodLabel(m0)))}  ${c.warn('(call in progress)')}  ` +
          `→ ${plural(req.length, 'msg')} ${bytes(req)}, ← ${plural(resp.length, 'msg')} ${bytes(resp)} so far\n`,
      );
      return;
    }
    const lines = [
      `${c.bold(this.text(methodLabel(m0)))}  ${c.warn('(call in progress)')}`,
      c.dim(`  tcp.stream ${m0.tcp_stream} · stream ${m0.stream} · ${ends}`),
    ];
    for (const m of messages) {
      this.message(lines, m, null);
      if (lines.length >= TEXT_BATCH_LINES) this.out.write(lines.splice(0).join('\n') + '\n');
    }
    this.out.write(lines.length === 0 ? '\n' : lines.join('\n') + '\n\n');
  }

  frame(f: FrameRecord): void {
    const arrow = f.direction === 'request' ? '→' : '←';
    this.out.write(this.c.dim(`frame ${f.frame} · tcp.stream ${f.tcp_stream} ${arrow} ${escapeText(f.frame_type)} stream ${f.stream} flags 0x${f.flags.toString(16).padStart(2, '0')} length ${f.length}`) + '\n');
  }

  /** A captured string for the terminal: cut when long, control characters escaped. */
  private text(s: string): string {
    return escapeText(cutValue(s, this.max));
  }

  /** A JSON value for the terminal: two-space indented, strings cut when long. */
  private json(v: unknown): string {
    return escapeJson(prettyJson(v, this.max, ''));
  }

  private outcome(call: CallRecord): string {
    const c = this.c;
    const parts: string[] = [];
    if (call.status !== null) {
      const name = call.status_name ?? String(call.status);
      parts.push(call.status === 0 ? c.ok(name) : c.bad(`${name} (${call.status})`));
    } else if (call.status_unknown === true) {
      // Trailers came, but their grpc-status is a header table entry from before the capture.
      parts.push(c.warn('status unknown'));
    } else if (call.reset === null) {
      parts.push(c.warn('no status'));
    }
    if (call.reset !== null) parts.push(c.bad(`RST_STREAM ${escapeText(call.reset)}`));
    if (!call.complete) parts.push(c.warn('INCOMPLETE'));
    if (call.http_status !== null && call.http_status !== 200) parts.push(c.bad(`HTTP ${call.http_status}`));
    return parts.join(' ');
  }

  private headers(lines: string[], title: string, headers: Record<string, string>): void {
    const names = Object.keys(headers);
    if (names.length === 0) return;
    lines.push(`  ${title}:`);
    for (const name of names) lines.push(`    ${this.text(name)}: ${this.text(headers[name])}`);
  }

  private message(lines: string[], m: MessageRecord, callStart: string | null): void {
    const c = this.c;
    const arrow = m.direction === 'request' ? '→ request' : '← response';
    const type = m.message_type ? this.text(m.message_type) : 'raw';
    const flags = m.compressed ? `, ${this.text(m.encoding ?? 'compressed')}` : '';
    const after = callStart === null ? null : msBetween(callStart, m.ts);
    const when = after === null ? '' : ` · +${formatDuration(after)}`;
    lines.push(`  ${c.bold(arrow)} #${m.index} ${type} (${m.length} bytes${flags}) · frame ${m.frame}${when}`);
    if (m.error) lines.push(c.warn(`    ! ${this.text(m.error)}`));
    if (m.body !== null && m.body !== undefined) lines.push(indent(this.json(m.body), '    '));
  }
}

/**
 * JSON.stringify(v, null, 2), with every string longer than `max` cut as cutValue cuts it: the mark and
 * the length go inside the quotes, so the shape of the value stays as it is.
 */
export function prettyJson(v: unknown, max: number, pad: string): string {
  if (typeof v === 'string') return JSON.stringify(cutValue(v, max));
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const inner = pad + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + prettyJson(x, max, inner)).join(',\n')}\n${pad}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(cutValue(k, max))}: ${prettyJson(x, max, inner)}`).join(',\n')}\n${pad}}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatBytes(n: number): string {
  return `${formatInteger(n)} B`;
}

function indent(text: string, pad: string): string {
  return text.replace(/^/gm, pad);
}
