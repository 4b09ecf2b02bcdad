/**
 * Following an h2c upgrade: an HTTP/1.1 request with `Upgrade: h2c` answered by `101 Switching Protocols`,
 * after which both sides speak HTTP/2 and the request is stream 1, half-closed by the client.
 *
 * https://www.rfc-editor.org/rfc/rfc7540.html#section-3.2 (dropped from RFC 9113, §3.1, but still spoken)
 *
 * Both heads are held (copied) until they are complete; the caller bounds what is held. Any other outcome
 * (no `Upgrade: h2c`, a status other than 101, a chunked request body) marks the attempt failed, and the
 * caller ignores the connection as plain HTTP/1.x. The client's HTTP2-Settings header is not applied (its
 * only setting that matters here, SETTINGS_HEADER_TABLE_SIZE, is tolerated anyway, see hpack.ts).
 */
import type { Direction } from '../tcp/types';
import type { HeaderField } from './types';

/** Request and response heads longer than this are not an upgrade we follow. */
export const MAX_H1_HEAD_BYTES = 16 * 1024;

/** Fields of an HTTP/1.1 request that have no place in HTTP/2 (RFC 9113 §8.2.2) or became pseudo-fields. */
const DROPPED_FIELDS = new Set(['connection', 'upgrade', 'http2-settings', 'host', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

interface Packet {
  frame: number;
  tsSec: number;
  tsNsec: number;
}

export class H2cUpgrade {
  failed = false;
  switched = false;
  /** Stream 1's request header fields, once the request head is complete. */
  requestHeaders: HeaderField[] = [];
  /** The request body (Content-Length octets), or null when it has none. */
  requestBody: Uint8Array | null = null;
  /** The packet that completed the request (origin of stream 1's events). */
  requestPacket: Packet = { frame: 0, tsSec: 0, tsNsec: 0 };

  private readonly buf: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  /** Client: octets of head + body once parsed; server: octets of the 101 head. -1 until known. */
  private readonly consumed: [number, number] = [-1, -1];
  private bodyLength = 0;
  /** Octets of the request head, once complete. */
  private headEnd = 0;

  constructor(private readonly clientIndex: Direction) {}

  get bufferedBytes(): number {
    return this.buf[0].length + this.buf[1].length;
  }

  push(dir: Direction, bytes: Uint8Array, pkt: Packet): void {
    this.buf[dir] = Buffer.concat([this.buf[dir], bytes]);
    if (dir === this.clientIndex) this.parseRequest(pkt);
    else this.parseResponse();
    if (this.consumed[0] >= 0 && this.consumed[1] >= 0 && !this.failed) this.switched = true;
  }

  /** After the switch: each direction's octets after its HTTP/1.1 part, client first. */
  takeTails(): Array<[Direction, Uint8Array]> {
    const out: Array<[Direction, Uint8Array]> = [];
    const server = (1 - this.clientIndex) as Direction;
    for (const d of [this.clientIndex, server]) {
      const tail = this.buf[d].subarray(this.consumed[d]);
      if (tail.length > 0) out.push([d, tail]);
    }
    this.buf[0] = this.buf[1] = Buffer.alloc(0);
    return out;
  }

  private parseRequest(pkt: Packet): void {
    const b = this.buf[this.clientIndex];
    if (this.consumed[this.clientIndex] >= 0) return;
    if (this.requestHeaders.length === 0) {
      const end = b.indexOf(CRLFCRLF);
      if (end < 0) {
        if (b.length > MAX_H1_HEAD_BYTES) this.failed = true;
        return;
      }
      const lines = b.subarray(0, end).toString('latin1').split('\r\n');
      const [method, target] = lines[0].split(' ');
      const fields: HeaderField[] = [];
      let authority = '';
      let upgradeH2c = false;
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'upgrade' && value.split(',').some((t) => t.trim().toLowerCase() === 'h2c')) upgradeH2c = true;
        if (name === 'host') authority = value;
        if (name === 'content-length') this.bodyLength = Math.max(0, Number.parseInt(value, 10) || 0);
        if (name === 'transfer-encoding') this.failed = true;
        if (!DROPPED_FIELDS.has(name)) fields.push([name, value]);
      }
      if (!upgradeH2c || method === undefined || target === undefined) this.failed = true;
      if (this.failed) return;
      this.requestHeaders = [[':method', method], [':scheme', 'http'], [':authority', authority], [':path', target], ...fields];
      this.headEnd = end + 4;
    }
    if (b.length < this.headEnd + this.bodyLength) {
      if (this.bodyLength > MAX_H1_HEAD_BYTES) this.failed = true;
      return;
    }
    if (this.bodyLength > 0) this.requestBody = Uint8Array.from(b.subarray(this.headEnd, this.headEnd + this.bodyLength));
    this.consumed[this.clientIndex] = this.headEnd + this.bodyLength;
    this.requestPacket = pkt;
  }

  private parseResponse(): void {
    const server = (1 - this.clientIndex) as Direction;
    if (this.consumed[server] >= 0) return;
    const b = this.buf[server];
    const end = b.indexOf(CRLFCRLF);
    if (end < 0) {
      if (b.length > MAX_H1_HEAD_BYTES || (b.length >= 12 && !/^HTTP\/1\.1 101/.test(b.subarray(0, 12).toString('latin1')))) {
        this.failed = true;
      }
      return;
    }
    if (!/^HTTP\/1\.1 101 /.test(b.subarray(0, end).toString('latin1'))) {
      this.failed = true;
      return;
    }
    this.consumed[server] = end + 4;
  }
}
