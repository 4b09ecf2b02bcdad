/**
 * The default view of `grpctk decode`: one block per call, in the order calls end, readable like grpcurl's
 * output. Every string that came from the capture goes through escapeText/escapeJson: control characters
 * become visible escapes, UTF-8 stays. Colours only when asked for (a TTY without NO_COLOR).
 */
import type { CallRecord, FrameRecord, MessageRecord } from '../records/types';
import { escapeJson, escapeText } from './escape';
import { methodLabel } from '../records/method';
import type { CallGroupSink } from './group';
import type { Output } from './sink';

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

export class TextWriter implements CallGroupSink {
  private readonly c: Palette;

  constructor(private readonly out: Output, color: boolean) {
    this.c = color ? ANSI : PLAIN;
  }

  group(call: CallRecord, messages: MessageRecord[]): void {
    const c = this.c;
    const lines: string[] = [];
    const outcome = this.outcome(call);
    lines.push(`${c.bold(escapeText(methodLabel(call)))}  ${outcome}  ${formatDuration(call.duration_ms)}`);
    if (call.inferred !== undefined && call.inferred_reason !== undefined) {
      lines.push(c.warn(`  ~ inferred ${call.inferred.join(', ')}: ${escapeText(call.inferred_reason)}`));
    }
    if (call.method_candidates !== undefined) {
      lines.push(c.warn(`  ~ method not known; it is one of: ${call.method_candidates.map(escapeText).join(', ')}`));
    }
    const where = `tcp.stream ${call.tcp_stream} · stream ${call.stream} · ${escapeText(call.client)} → ${escapeText(call.server)}`;
    const span = call.first_frame === call.last_frame ? `frame ${call.first_frame}` : `frames ${call.first_frame}–${call.last_frame}`;
    lines.push(c.dim(`  ${where} · ${span} · ${call.start}`));
    this.headers(lines, 'request headers', call.request_headers);
    for (const m of messages) this.message(lines, m);
    this.headers(lines, 'response headers', call.response_headers);
    this.headers(lines, 'trailers', call.trailers);
    if (call.grpc_message !== null) lines.push(`  message: ${escapeText(call.grpc_message)}`);
    if (call.status_details !== undefined && call.status_details !== null) {
      lines.push('  status details:');
      lines.push(indent(escapeJson(JSON.stringify(call.status_details, null, 2)), '    '));
    }
    for (const e of call.errors ?? []) lines.push(c.warn(`  ! ${escapeText(e)}`));
    this.out.write(lines.join('\n') + '\n\n');
  }

  partial(messages: MessageRecord[]): void {
    if (messages.length === 0) return;
    const m0 = messages[0];
    const lines = [
      `${this.c.bold(escapeText(m0.method || '(unknown method)'))}  ${this.c.warn('(call in progress)')}`,
      this.c.dim(`  tcp.stream ${m0.tcp_stream} · stream ${m0.stream} · ${escapeText(m0.client)} → ${escapeText(m0.server)}`),
    ];
    for (const m of messages) this.message(lines, m);
    this.out.write(lines.join('\n') + '\n\n');
  }

  frame(f: FrameRecord): void {
    const arrow = f.direction === 'request' ? '→' : '←';
    this.out.write(this.c.dim(`frame ${f.frame} · tcp.stream ${f.tcp_stream} ${arrow} ${escapeText(f.frame_type)} stream ${f.stream} flags 0x${f.flags.toString(16).padStart(2, '0')} length ${f.length}`) + '\n');
  }

  private outcome(call: CallRecord): string {
    const c = this.c;
    const parts: string[] = [];
    if (call.status !== null) {
      const name = call.status_name ?? String(call.status);
      parts.push(call.status === 0 ? c.ok(name) : c.bad(`${name} (${call.status})`));
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
    for (const name of names) lines.push(`    ${escapeText(name)}: ${escapeText(headers[name])}`);
  }

  private message(lines: string[], m: MessageRecord): void {
    const c = this.c;
    const arrow = m.direction === 'request' ? '→ request' : '← response';
    const type = m.message_type ? escapeText(m.message_type) : 'raw';
    const flags = m.compressed ? `, ${escapeText(m.encoding ?? 'compressed')}` : '';
    lines.push(`  ${c.bold(arrow)} #${m.index} ${type} (${m.length} bytes${flags}) · frame ${m.frame}`);
    if (m.error) lines.push(c.warn(`    ! ${escapeText(m.error)}`));
    if (m.body !== null && m.body !== undefined) lines.push(indent(escapeJson(JSON.stringify(m.body, null, 2)), '    '));
  }
}

function indent(text: string, pad: string): string {
  return text.replace(/^/gm, pad);
}
