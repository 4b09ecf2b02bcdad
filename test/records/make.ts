/** Hand-built records for tests: every required field, overridable. */
import type { CallRecord, MessageRecord } from '../../src/records/types';

export function makeCall(over: Partial<CallRecord> = {}): CallRecord {
  return {
    type: 'call',
    tcp_stream: 0,
    client: '10.0.0.1:40000',
    server: '10.0.0.2:50051',
    stream: 1,
    call_id: '0/1',
    method: '/helloworld.Greeter/SayHello',
    authority: 'api.example:50051',
    start: '2026-11-21T03:39:12.000000000Z',
    end: '2026-11-21T03:39:12.010000000Z',
    duration_ms: 10,
    http_status: 200,
    status: 0,
    status_name: 'OK',
    grpc_message: null,
    request_headers: { 'content-type': 'application/grpc', 'user-agent': 'grpc-go/1.60' },
    response_headers: { 'content-type': 'application/grpc' },
    trailers: { 'grpc-status': '0' },
    request_messages: 1,
    response_messages: 1,
    request_bytes: 7,
    response_bytes: 13,
    complete: true,
    reset: null,
    first_frame: 4,
    last_frame: 9,
    ...over,
  };
}

export function makeMessage(over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    type: 'message',
    frame: 4,
    ts: '2026-11-21T03:39:12.000000000Z',
    tcp_stream: 0,
    client: '10.0.0.1:40000',
    server: '10.0.0.2:50051',
    stream: 1,
    call_id: '0/1',
    method: '/helloworld.Greeter/SayHello',
    direction: 'request',
    index: 0,
    compressed: false,
    encoding: null,
    length: 7,
    message_type: 'helloworld.HelloRequest',
    body: { name: 'world' },
    error: null,
    ...over,
  };
}

/** A sink that keeps what it is given, in order. */
export function collector() {
  const got: Array<{ kind: string; rec: unknown }> = [];
  return {
    got,
    message: (m: MessageRecord) => void got.push({ kind: 'message', rec: m }),
    call: (c: CallRecord) => void got.push({ kind: 'call', rec: c }),
    frame: (f: unknown) => void got.push({ kind: 'frame', rec: f }),
  };
}
