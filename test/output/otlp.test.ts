/**
 * export --format otlp: every line is an ExportTraceServiceRequest by the official OTLP protobuf
 * definitions (opentelemetry-proto, as shipped in @opentelemetry/otlp-grpc-exporter-base), checked field by
 * field with protobufjs's reflection in the OTLP JSON form (hex ids, integer enums, int64 as strings), then
 * encoded to protobuf and decoded again; the spans carry the calls' times, the semantic conventions of the
 * mode OTEL_SEMCONV_STABILITY_OPT_IN asks for, and the trace context found in the metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { grpctk, ndjson, SAMPLES } from '../cli/helpers';
import { parseIsoTimeNs } from '../../src/records/time';
import { makeCall } from '../records/make';

const PROTOS = path.join(path.dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base/package.json')), 'build', 'protos');

function otlpRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTOS, target));
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  root.resolveAll();
  return root;
}

const ROOT = otlpRoot();
const REQUEST = ROOT.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

/**
 * Checks `value` against `type` as the OTLP JSON encoding spells it and returns the protobuf JSON form
 * protobufjs reads (ids from hex to base64). Unknown fields and wrong kinds fail: fromObject alone would
 * drop them silently.
 */
function checkOtlpJson(type: protobuf.Type, value: unknown, where: string): Record<string, unknown> {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where}: an object`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = type.fields[key];
    assert.ok(field, `${where}.${key}: not a field of ${type.fullName}`);
    const one = (x: unknown, w: string): unknown => {
      field.resolve();
      if (field.resolvedType instanceof protobuf.Type) return checkOtlpJson(field.resolvedType, x, w);
      if (field.resolvedType instanceof protobuf.Enum) {
        assert.ok(Number.isInteger(x) && Object.values(field.resolvedType.values).includes(x as number), `${w}: an enum as an integer`);
        return x;
      }
      switch (field.type) {
        case 'bytes':
          assert.ok(typeof x === 'string' && /^([0-9a-f]{2})*$/.test(x), `${w}: hex bytes`);
          if (key === 'traceId') assert.equal((x as string).length, 32, `${w}: 16 bytes`);
          if (key === 'spanId' || key === 'parentSpanId') assert.equal((x as string).length, 16, `${w}: 8 bytes`);
          return Buffer.from(x as string, 'hex').toString('base64');
        case 'fixed64':
        case 'int64':
        case 'uint64':
          assert.ok(typeof x === 'string' && /^-?\d+$/.test(x), `${w}: a 64-bit integer as a decimal string`);
          return x;
        case 'string':
          assert.equal(typeof x, 'string', w);
          return x;
        case 'bool':
          assert.equal(typeof x, 'boolean', w);
          return x;
        default:
          assert.equal(typeof x, 'number', `${w}: ${field.type}`);
          return x;
      }
    };
    if (field.repeated) {
      assert.ok(Array.isArray(v), `${where}.${key}: an array`);
      out[key] = (v as unknown[]).map((x, i) => one(x, `${where}.${key}[${i}]`));
    } else {
      out[key] = one(v, `${where}.${key}`);
    }
  }
  return out;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status: { code?: number; message?: string };
}

/** Every line checked and round-tripped through protobuf; the spans of all lines. */
function spansOf(stdout: string): Span[] {
  const lines = stdout.split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  const spans: Span[] = [];
  lines.forEach((line, i) => {
    const json = JSON.parse(line);
    const plain = checkOtlpJson(REQUEST, json, `line ${i + 1}`);
    const message = REQUEST.fromObject(plain);
    assert.equal(REQUEST.verify(message), null);
    const again = REQUEST.toObject(REQUEST.decode(REQUEST.encode(message).finish()), { longs: String, bytes: String });
    const back = again.resourceSpans[0].scopeSpans[0].spans;
    const mine = json.resourceSpans[0].scopeSpans[0].spans;
    assert.equal(back.length, mine.length);
    back.forEach((s: any, j: number) => {
      assert.equal(Buffer.from(s.traceId, 'base64').toString('hex'), mine[j].traceId);
      assert.equal(s.startTimeUnixNano, mine[j].startTimeUnixNano);
      assert.equal(s.name, mine[j].name);
    });
    for (const rs of json.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
  });
  return spans;
}

function attrs(s: Span): Record<string, unknown> {
  return Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
}

const BASIC = path.join(SAMPLES, 'grpcjs-basic.pcapng');

test('otlp: a span per ended call, lines that are ExportTraceServiceRequest, old conventions by default', () => {
  const calls = ndjson(grpctk(['export', '-q', '-F', 'ndjson', BASIC]).stdout);
  const r = grpctk(['export', '-F', 'otlp', BASIC], { env: { OTEL_SEMCONV_STABILITY_OPT_IN: '' } });
  assert.equal(r.status, 0, r.stderr);
  const spans = spansOf(r.stdout);
  const ended = calls.filter((c) => c.complete);
  assert.equal(spans.length, ended.length);
  assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'span ids are unique');
  spans.forEach((s, i) => {
    const c = ended[i];
    assert.equal(s.name, c.method.slice(1));
    assert.equal(s.kind, 3);
    assert.equal(s.startTimeUnixNano, String(parseIsoTimeNs(c.start)));
    assert.equal(s.endTimeUnixNano, String(parseIsoTimeNs(c.end)));
    const a = attrs(s);
    const [service, method] = c.method.slice(1).split('/');
    assert.equal(a['rpc.system'], 'grpc');
    assert.equal(a['rpc.service'], service);
    assert.equal(a['rpc.method'], method);
    assert.equal(a['rpc.grpc.status_code'], c.status === null ? undefined : String(c.status));
    assert.equal(a['rpc.system.name'], undefined);
    assert.equal(a['server.address'], c.server.split(':')[0]);
    assert.equal(a['server.port'], c.server.split(':')[1]);
    assert.equal(a['client.port'], c.client.split(':')[1]);
    if (c.status === 0) assert.deepEqual(s.status, {});
    else assert.equal(s.status.code, 2);
    if (c.status !== 0 && c.grpc_message) assert.equal(s.status.message, c.grpc_message);
  });
  const open = calls.length - ended.length;
  if (open > 0) assert.match(r.stderr, new RegExp(`^grpctk: ${open} call\\(s\\) still open`));
  // The same capture gives the same ids.
  assert.equal(grpctk(['export', '-F', 'otlp', '-q', BASIC], { env: { OTEL_SEMCONV_STABILITY_OPT_IN: '' } }).stdout, r.stdout);
});

test('otlp: OTEL_SEMCONV_STABILITY_OPT_IN=rpc writes the new conventions, rpc/dup both', () => {
  const stable = spansOf(grpctk(['export', '-q', '-F', 'otlp', BASIC], { env: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http,rpc' } }).stdout);
  const a = attrs(stable.find((s) => s.name === 'grpctk.demo.Demo/Unary' && s.status.code === 2)!);
  assert.equal(a['rpc.system.name'], 'grpc');
  assert.equal(a['rpc.method'], 'grpctk.demo.Demo/Unary');
  assert.match(String(a['rpc.response.status_code']), /^[A-Z_]+$/);
  assert.notEqual(a['rpc.response.status_code'], 'OK');
  for (const old of ['rpc.system', 'rpc.service', 'rpc.grpc.status_code']) assert.equal(a[old], undefined, old);

  const dup = spansOf(grpctk(['export', '-q', '-F', 'otlp', BASIC], { env: { OTEL_SEMCONV_STABILITY_OPT_IN: 'rpc,rpc/dup' } }).stdout);
  const d = attrs(dup[0]);
  assert.equal(d['rpc.system'], 'grpc');
  assert.equal(d['rpc.system.name'], 'grpc');
  assert.equal(d['rpc.grpc.status_code'], '0');
  assert.equal(d['rpc.response.status_code'], 'OK');
});

test('otlp: a traceparent in the metadata puts the span in the application\'s trace, under its span', () => {
  const traced = makeCall({
    stream: 1,
    request_headers: {
      'content-type': 'application/grpc',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'congo=t61rcWkgMzE',
    },
  });
  const invalid = makeCall({ stream: 3, request_headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
  const reset = makeCall({ stream: 5, status: null, status_name: null, reset: 'CANCEL', trailers: {} });
  const open = makeCall({ stream: 7, end: null, duration_ms: null, complete: false, status: null, status_name: null });
  const input = [traced, invalid, reset, open].map((c) => JSON.stringify(c)).join('\n') + '\n';
  const r = grpctk(['export', '-F', 'otlp', '-'], { input });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'grpctk: 1 call(s) still open when the capture ended: no span (a span needs its end)\n');
  const [a, b, c] = spansOf(r.stdout);
  assert.equal(a.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(a.parentSpanId, '00f067aa0ba902b7');
  assert.equal(a.traceState, 'congo=t61rcWkgMzE');
  assert.notEqual(a.spanId, '00f067aa0ba902b7');
  assert.notEqual(b.traceId, '00000000000000000000000000000000', 'an invalid traceparent is ignored');
  assert.equal(b.parentSpanId, undefined);
  assert.deepEqual(c.status, { code: 2, message: 'stream reset: CANCEL' });
});

test('otlp: messages or columns are refused with exit 2', () => {
  const r = grpctk(['export', '-F', 'otlp', '--records', 'messages', BASIC]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^grpctk: --format otlp writes calls/);
});
