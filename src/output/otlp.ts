/**
 * Calls as OpenTelemetry spans, in the OTLP JSON file format: one `ExportTraceServiceRequest` per line
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), as the Collector's `otlpjsonfile`
 * receiver reads it: field names in lowerCamelCase, trace and span ids in hex, enums as integers, 64-bit
 * integers (timestamps) as decimal strings. Written directly: the OpenTelemetry JS packages that turn SDK
 * spans into OTLP are internal, and a capture has no SDK spans.
 *
 * One span per call that ended within the capture (a span is emitted when it ends: a call still open at the
 * capture's end has no end time to give, so it is counted and left out), with
 *  - the call's start and end, to the nanosecond; kind CLIENT (the call as seen on the wire leaving the
 *    client, which is where the W3C context in its metadata was made); name `Service/Method`;
 *  - the gRPC semantic conventions (https://opentelemetry.io/docs/specs/semconv/rpc/grpc/): by default the
 *    ones backends read today (`rpc.system`, `rpc.service`, `rpc.method` = the method's name,
 *    `rpc.grpc.status_code` as an integer); with OTEL_SEMCONV_STABILITY_OPT_IN holding `rpc` the release
 *    candidate's (`rpc.system.name`, `rpc.method` = `Service/Method`, `rpc.response.status_code` = the
 *    status name), with `rpc/dup` both, as the migration guide says
 *    (https://opentelemetry.io/docs/specs/semconv/non-normative/rpc-migration/);
 *    `server.address`, `server.port`, `client.address`, `client.port`, `network.transport` in every mode;
 *  - status ERROR (with grpc-message) for a non-OK status, or for a call that ended without one (reset);
 *    unset otherwise, as the conventions ask for client spans;
 *  - when the request metadata carries a valid W3C `traceparent`
 *    (https://www.w3.org/TR/trace-context/#traceparent-header), its trace id and, as the parent, its span id
 *    (and `tracestate`), so the span joins the application's own trace. Otherwise the trace id and the span
 *    id are derived from the call's identity (connection, stream, start) by SHA-256: the same capture gives
 *    the same ids on every run.
 */
import { createHash } from 'crypto';
import { parseEndpoint } from '../filter/parse';
import { parseIsoTimeNs } from '../records/time';
import type { CallRecord } from '../records/types';
import { version } from '../version';
import { escapeJson } from './escape';

/** Spans gathered into one line (one ExportTraceServiceRequest) before it is written: 1,000. */
export const OTLP_SPANS_PER_LINE = 1000;

/** OTLP Span.SpanKind (trace.proto). */
const SPAN_KIND_CLIENT = 3;
/** OTLP Status.StatusCode (trace.proto). */
const STATUS_CODE_ERROR = 2;

export type Semconv = 'old' | 'stable' | 'dup';

/**
 * Which RPC conventions to write, from OTEL_SEMCONV_STABILITY_OPT_IN (a comma-separated list): `rpc/dup`
 * (both, it wins over `rpc`), `rpc` (the new ones only), else the old ones.
 */
export function semconvFromEnv(value: string | undefined = process.env.OTEL_SEMCONV_STABILITY_OPT_IN): Semconv {
  const items = (value ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (items.includes('rpc/dup')) return 'dup';
  if (items.includes('rpc')) return 'stable';
  return 'old';
}

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean };
interface KeyValue {
  key: string;
  value: AnyValue;
}

interface Span {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status: { code?: number; message?: string };
}

const str = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): KeyValue => ({ key, value: { intValue: String(v) } });

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Trace id and parent span id of a W3C traceparent value, or null when it is not a valid one. */
export function parseTraceparent(value: string | undefined): { traceId: string; parentSpanId: string } | null {
  if (value === undefined) return null;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return null;
  const [, ver, traceId, parentSpanId] = m;
  // Version ff is invalid; version 00 has exactly four fields; all-zero ids are invalid.
  if (ver === 'ff' || (ver === '00' && m[5] !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return null;
  return { traceId, parentSpanId };
}

/** `/pkg.Service/Method` as service and method; a path of another shape as a method without service. */
function splitMethod(path: string): { service: string | null; method: string; full: string } {
  const p = path.startsWith('/') ? path.slice(1) : path;
  const slash = p.lastIndexOf('/');
  if (slash <= 0) return { service: null, method: p, full: p };
  return { service: p.slice(0, slash), method: p.slice(slash + 1), full: p };
}

export interface OtlpOptions {
  semconv?: Semconv;
  /** Resource `service.name`; default OTEL_SERVICE_NAME, else `grpctk`. */
  serviceName?: string;
  spansPerLine?: number;
}

export class OtlpSpanWriter {
  /** Spans written. */
  spans = 0;
  /** Calls left out because they had not ended when the capture did. */
  open = 0;
  private batch: Span[] = [];
  private readonly semconv: Semconv;
  private readonly resource: { attributes: KeyValue[] };

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: OtlpOptions = {},
  ) {
    this.semconv = options.semconv ?? semconvFromEnv();
    this.resource = { attributes: [str('service.name', options.serviceName ?? (process.env.OTEL_SERVICE_NAME || 'grpctk'))] };
  }

  /** One call as a span (or counted as open). */
  call(c: CallRecord): void {
    const start = parseIsoTimeNs(c.start);
    const end = c.end !== null ? parseIsoTimeNs(c.end) : null;
    if (!c.complete || start === null || end === null) {
      this.open++;
      return;
    }
    this.batch.push(this.span(c, start, end));
    this.spans++;
    if (this.batch.length >= (this.options.spansPerLine ?? OTLP_SPANS_PER_LINE)) this.flush();
  }

  private span(c: CallRecord, start: bigint, end: bigint): Span {
    const m = splitMethod(c.method);
    const attributes: KeyValue[] = [];
    if (this.semconv !== 'stable') {
      attributes.push(str('rpc.system', 'grpc'));
      if (m.service !== null) attributes.push(str('rpc.service', m.service));
      attributes.push(str('rpc.method', m.method));
      if (c.status !== null) attributes.push(int('rpc.grpc.status_code', c.status));
    }
    if (this.semconv !== 'old') {
      attributes.push(str('rpc.system.name', 'grpc'));
      // In dup mode rpc.method is written once, the old way: one key cannot hold both values.
      if (this.semconv === 'stable') attributes.push(str('rpc.method', m.full));
      if (c.status_name !== null) attributes.push(str('rpc.response.status_code', c.status_name));
      else if (c.status !== null) attributes.push(str('rpc.response.status_code', String(c.status)));
    }
    const server = parseEndpoint(c.server);
    const client = parseEndpoint(c.client);
    attributes.push(str('server.address', server.addr));
    if (server.port !== null) attributes.push(int('server.port', server.port));
    attributes.push(str('client.address', client.addr));
    if (client.port !== null) attributes.push(int('client.port', client.port));
    attributes.push(str('network.transport', 'tcp'));

    const error = c.status !== null ? c.status !== 0 : true;
    const status: Span['status'] = {};
    if (error) {
      status.code = STATUS_CODE_ERROR;
      const message = c.grpc_message ?? (c.status === null ? (c.reset !== null ? `stream reset: ${c.reset}` : 'ended without grpc-status') : null);
      if (message) status.message = message;
    }

    const context = parseTraceparent(c.request_headers?.traceparent);
    const digest = createHash('sha256').update(`${c.tcp_stream}\u0000${c.client}\u0000${c.server}\u0000${c.stream}\u0000${c.start}`).digest('hex');
    const span: Span = {
      traceId: context ? context.traceId : digest.slice(0, 32),
      spanId: digest.slice(32, 48),
      name: m.full,
      kind: SPAN_KIND_CLIENT,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
      attributes,
      status,
    };
    if (context) {
      span.parentSpanId = context.parentSpanId;
      const state = c.request_headers?.tracestate;
      if (state) span.traceState = state;
    }
    return span;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const request = {
      resourceSpans: [{ resource: this.resource, scopeSpans: [{ scope: { name: 'grpctk', version }, spans: this.batch }] }],
    };
    this.batch = [];
    this.write(escapeJson(JSON.stringify(request)) + '\n');
  }

  end(): void {
    this.flush();
  }
}
