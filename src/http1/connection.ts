/**
 * The HTTP/1.1 layer (RFC 9112): a tcp `ConnectionHandler` per connection that reads requests from the client
 * direction and responses from the server direction (./parser.ts) and pushes them to the same stream-event
 * contract as HTTP/2 (../http2/types.ts), so the gRPC layer sees one kind of event for both versions:
 *
 * - HTTP/1.1 has no stream ids: a message exchange's `streamId` is the request's number on its connection,
 *   from 1 (Wireshark's `http.request_number`); responses answer requests in order (pipelining).
 * - A head becomes a HEADERS event with HTTP/2's pseudo-fields (`:method`, `:scheme`, `:authority` from Host,
 *   `:path`; `:status` for responses) and the other fields in lower case; a body becomes DATA events
 *   (de-chunked); a chunked trailer section becomes a trailing HEADERS event; the message's end is
 *   END_STREAM. Interim responses (1xx, e.g. `100 Continue`) are not the answer and are passed over.
 * - A gap in a direction stops that direction (where the next message starts is not known); its open
 *   exchanges are told of the loss.
 *
 * Only what gRPC-Web and Connect need is decoded; other HTTP/1.1 traffic flows through the same events and
 * the gRPC layer ignores it (counted as HTTP/1.1 exchanges).
 */
import type { CloseReason, ConnectionHandler, Direction, TcpConnection } from '../tcp/types';
import { formatEndpoint } from '../tcp/types';
import type { HeaderField, Http2Connection, Http2Direction, Http2Sink } from '../http2/types';
import { Http1Parser, type BodyFraming, type MessageHead } from './parser';

/** Requests waiting for their response on one connection (pipelining); past it the oldest is forgotten. */
export const MAX_PIPELINED_REQUESTS = 1000;

/** Fields that describe the HTTP/1.1 connection rather than the message (RFC 9113 §8.2.2). */
const CONNECTION_FIELDS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export interface Http1Counters {
  connections: number;
  requests: number;
  /** Directions given up: bad syntax, a bound reached, or a gap. */
  errors: number;
}

export function newHttp1Counters(): Http1Counters {
  return { connections: 0, requests: 0, errors: 0 };
}

interface Pending {
  streamId: number;
  method: string;
}

export class Http1ConnectionHandler implements ConnectionHandler {
  private readonly conn: Http2Connection;
  private readonly parsers: [Http1Parser, Http1Parser];
  private nextRequest = 1;
  /** Requests not yet answered, oldest first. */
  private readonly waiting: Pending[] = [];
  /** The exchange whose request / response message is being read (0: none). */
  private reqStream = 0;
  private respStream = 0;
  private switched = false;
  private closed = false;

  // The packet being processed: origin of the events it completes.
  private frame = 0;
  private tsSec = 0;
  private tsNsec = 0;

  constructor(
    tcp: TcpConnection,
    clientIndex: Direction,
    private readonly sink: Http2Sink,
    private readonly counters: Http1Counters,
  ) {
    const [a, b] = tcp.endpoints;
    this.conn = {
      tcp,
      clientIndex,
      client: formatEndpoint(clientIndex === 0 ? a : b),
      server: formatEndpoint(clientIndex === 0 ? b : a),
    };
    counters.connections++;
    const req = new Http1Parser({
      head: (h) => this.requestHead(h),
      body: (bytes) => this.emitData('request', this.reqStream, bytes, false),
      trailers: (fields) => this.emitHeaders('request', this.reqStream, fields, true),
      end: () => this.requestEnd(),
      error: (reason) => this.error('request', reason),
    });
    const resp = new Http1Parser({
      head: (h) => this.responseHead(h),
      body: (bytes) => this.emitData('response', this.respStream, bytes, false),
      trailers: (fields) => this.emitHeaders('response', this.respStream, fields, true),
      end: () => this.responseEnd(),
      error: (reason) => this.error('response', reason),
    });
    this.parsers = clientIndex === 0 ? [req, resp] : [resp, req];
    sink.connection?.(this.conn);
  }

  data(dir: Direction, bytes: Uint8Array, frame: number, tsSec: number, tsNsec: number): void {
    if (this.switched || this.closed) return;
    this.frame = frame;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.parsers[dir].push(bytes);
  }

  gap(dir: Direction, lost: number, frame: number, tsSec: number, tsNsec: number): void {
    if (this.switched || this.closed) return;
    this.frame = frame;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    const name: Http2Direction = dir === this.conn.clientIndex ? 'request' : 'response';
    if (!this.parsers[dir].stopped) this.sink.gap?.(this.conn, name, lost);
    this.parsers[dir].stop(`${lost >= 0 ? lost : 'unknown'} bytes lost`);
  }

  close(_reason: CloseReason): void {
    if (this.closed) return;
    if (!this.switched) {
      // A response read until the connection closes ends here (RFC 9112 §6.3, item 8).
      this.parsers[1 - this.conn.clientIndex].end();
      this.parsers[this.conn.clientIndex].end();
    }
    this.closed = true;
    this.sink.connectionClosed(this.conn);
  }

  private requestHead(h: MessageHead): BodyFraming {
    const streamId = this.nextRequest++;
    this.counters.requests++;
    this.reqStream = streamId;
    if (this.waiting.length >= MAX_PIPELINED_REQUESTS) this.waiting.shift();
    this.waiting.push({ streamId, method: h.method ?? '' });
    let authority = '';
    const fields: HeaderField[] = [];
    for (const f of h.fields) {
      if (f[0] === 'host') authority = f[1];
      if (!CONNECTION_FIELDS.has(f[0])) fields.push(f);
    }
    const framing = bodyFraming(h, false);
    const pseudo: HeaderField[] = [[':method', h.method ?? ''], [':scheme', 'http'], [':authority', authority], [':path', h.target ?? '']];
    this.emitHeaders('request', streamId, [...pseudo, ...fields], framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0));
    return framing;
  }

  private requestEnd(): void {
    // Only a message with a body (or trailers) still has its END_STREAM to send.
    this.endIfOpen('request', this.reqStream);
    this.reqStream = 0;
  }

  private responseHead(h: MessageHead): BodyFraming {
    const status = h.status ?? 0;
    if (status >= 100 && status < 200) {
      // 101: the connection becomes another protocol (h2c, WebSocket): nothing more here to read.
      if (status === 101) this.switched = true;
      return { kind: 'none' };
    }
    const pending = this.waiting.shift();
    // A response without a captured request (the capture began after it was sent) gets a number of its own.
    const streamId = pending?.streamId ?? this.nextRequest++;
    this.respStream = streamId;
    const fields: HeaderField[] = [[':status', String(status)]];
    for (const f of h.fields) if (!CONNECTION_FIELDS.has(f[0])) fields.push(f);
    const framing = pending?.method === 'HEAD' ? ({ kind: 'none' } as const) : bodyFraming(h, true);
    this.emitHeaders('response', streamId, fields, framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0));
    return framing;
  }

  private responseEnd(): void {
    if (this.respStream === 0) return; // an interim response
    this.endIfOpen('response', this.respStream);
    this.respStream = 0;
  }

  /** Streams whose END_STREAM went out with their last event (HEADERS without body, trailers). */
  private readonly ended = new Set<string>();

  private endIfOpen(direction: Http2Direction, streamId: number): void {
    const key = `${direction}${streamId}`;
    if (this.ended.delete(key)) return;
    this.emitData(direction, streamId, new Uint8Array(0), true);
  }

  private emitHeaders(direction: Http2Direction, streamId: number, headers: HeaderField[], endStream: boolean): void {
    if (endStream) this.ended.add(`${direction}${streamId}`);
    this.sink.headers({ conn: this.conn, direction, frame: this.frame, tsSec: this.tsSec, tsNsec: this.tsNsec, streamId, headers, endStream });
  }

  private emitData(direction: Http2Direction, streamId: number, data: Uint8Array, endStream: boolean): void {
    if (streamId === 0) return;
    this.sink.data({ conn: this.conn, direction, frame: this.frame, tsSec: this.tsSec, tsNsec: this.tsNsec, streamId, data, endStream });
  }

  private error(direction: Http2Direction, _reason: string): void {
    this.counters.errors++;
    const open = direction === 'request' ? this.reqStream : this.respStream;
    if (open !== 0) this.ended.delete(`${direction}${open}`);
  }
}

/** RFC 9112 §6.3: how a message's body is delimited. */
function bodyFraming(h: MessageHead, response: boolean): BodyFraming {
  if (response && (h.status === 204 || h.status === 304)) return { kind: 'none' };
  let te: string | undefined;
  let cl: string | undefined;
  for (const [n, v] of h.fields) {
    if (n === 'transfer-encoding') te = te === undefined ? v : `${te}, ${v}`;
    else if (n === 'content-length' && cl === undefined) cl = v;
  }
  if (te !== undefined) {
    const codings = te.toLowerCase().split(',').map((s) => s.trim());
    if (codings[codings.length - 1] === 'chunked') return { kind: 'chunked' };
    return response ? { kind: 'close' } : { kind: 'none' };
  }
  if (cl !== undefined && /^[0-9]{1,15}$/.test(cl)) return { kind: 'length', length: Number(cl) };
  return response ? { kind: 'close' } : { kind: 'none' };
}
