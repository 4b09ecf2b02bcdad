/**
 * PacketDecoder: a captured packet in, its TCP segment (or nothing) out.
 *
 * link (./link.ts) → IPv4/IPv6 with fragment reassembly (./ip.ts, ./fragments.ts) → TCP header (RFC 9293
 * section 3.1). Everything that is not a TCP segment is counted in `counters` and skipped; bad input never
 * throws. One segment object (plus, for a new address, its string) is allocated per TCP packet.
 *
 * `malformed` counts packets whose headers lie. Most are skipped; two kinds are still handed up, because
 * Wireshark still gives them a `tcp.stream` and numbering must match: an IP length larger than the uncut
 * frame (the frame's bytes are used), and a TCP Data Offset below 5 or past the segment (the fixed header's
 * ports, numbers and flags are used, with no payload).
 */
import type { Packet } from '../pcap/types';
import type { NetCounters, TcpSegment } from './types';
import { findNetworkLayer, LINK_MALFORMED, LINK_NOT_IP, LINK_UNSUPPORTED, type NetworkLayer } from './link';
import { IP_MALFORMED, IP_NOT_TCP, IP_TCP, parseIpv4, parseIpv6, type IpContext, type IpPayload } from './ip';
import {
  DEFAULT_FRAGMENT_TIMEOUT_SEC,
  DEFAULT_MAX_FRAGMENT_BUFFERS,
  DEFAULT_MAX_FRAGMENT_BYTES,
  FragmentReassembler,
} from './fragments';

export interface PacketDecoderOptions {
  /** IP datagrams reassembled at once (default 1024); at the limit the oldest is dropped. */
  maxFragmentBuffers?: number;
  /** Fragment bytes held over all datagrams (default 16 MiB); at the limit the oldest are dropped. */
  maxFragmentBytes?: number;
  /** Capture-time seconds a datagram waits for its fragments (default 60); then it is dropped. */
  fragmentTimeoutSec?: number;
}

/** RFC 9293 section 3.1: a TCP header without options. */
const TCP_MIN_HEADER = 20;

export class PacketDecoder {
  readonly counters: NetCounters = {
    packets: 0,
    tcp: 0,
    unsupportedLinkType: 0,
    nonIp: 0,
    nonTcp: 0,
    malformed: 0,
    ipFragments: 0,
    reassembledDatagrams: 0,
    droppedFragments: 0,
  };
  private readonly net: NetworkLayer = { offset: 0, version: 0 };
  private readonly ip: IpPayload = { version: 4, src: '', dst: '', data: new Uint8Array(0), start: 0, end: 0, declaredEnd: 0 };
  private readonly ctx: IpContext;

  constructor(options: PacketDecoderOptions = {}) {
    const fragments = new FragmentReassembler(
      {
        maxFragmentBuffers: positive(options.maxFragmentBuffers, DEFAULT_MAX_FRAGMENT_BUFFERS),
        maxFragmentBytes: positive(options.maxFragmentBytes, DEFAULT_MAX_FRAGMENT_BYTES),
        fragmentTimeoutSec: positive(options.fragmentTimeoutSec, DEFAULT_FRAGMENT_TIMEOUT_SEC),
      },
      this.counters,
    );
    this.ctx = { fragments, counters: this.counters, now: 0, cut: false };
  }

  /** IP datagrams waiting for more fragments. */
  get pendingFragmentedDatagrams(): number {
    return this.ctx.fragments.pending;
  }

  decode(packet: Packet): TcpSegment | undefined {
    const c = this.counters;
    c.packets++;
    const data = packet.data;
    const net = this.net;
    const link = findNetworkLayer(packet.linkType, data, net);
    if (link !== 0) {
      if (link === LINK_UNSUPPORTED) c.unsupportedLinkType++;
      else if (link === LINK_NOT_IP) c.nonIp++;
      else if (link === LINK_MALFORMED) c.malformed++;
      return undefined;
    }
    const off = net.offset;
    if (off >= data.length) {
      c.malformed++;
      return undefined;
    }
    const version = net.version === 0 ? data[off] >> 4 : net.version;
    const ctx = this.ctx;
    ctx.now = packet.tsSec + packet.tsNsec / 1e9;
    ctx.cut = packet.capturedLength < packet.originalLength || data.length < packet.originalLength;
    const ip = this.ip;
    let r: number;
    if (version === 4) r = parseIpv4(data, off, ctx, ip);
    else if (version === 6) r = parseIpv6(data, off, ctx, ip);
    else {
      // Raw IP with a version nibble that is neither: not IP at all.
      c.nonIp++;
      return undefined;
    }
    if (r !== IP_TCP) {
      if (r === IP_NOT_TCP) c.nonTcp++;
      else if (r === IP_MALFORMED) c.malformed++;
      return undefined;
    }
    return this.tcp(packet, ip);
  }

  /** RFC 9293 section 3.1: ports, sequence and acknowledgment numbers, Data Offset, flags, window. */
  private tcp(packet: Packet, ip: IpPayload): TcpSegment | undefined {
    const d = ip.data;
    const s = ip.start;
    if (ip.end - s < TCP_MIN_HEADER) {
      this.counters.malformed++;
      return undefined;
    }
    const hlen = (d[s + 12] >> 4) * 4;
    let payloadStart: number;
    let payloadEnd = ip.end;
    if (hlen < TCP_MIN_HEADER || s + hlen > ip.declaredEnd) {
      // A Data Offset that lies: no payload can be trusted, but the segment still belongs to its
      // conversation (Wireshark: "Bogus TCP header length", "Short segment").
      this.counters.malformed++;
      payloadStart = payloadEnd = s + TCP_MIN_HEADER;
    } else {
      // Options cut by the snap length leave no payload, but ports, numbers and flags are still known.
      payloadStart = Math.min(s + hlen, ip.end);
    }
    this.counters.tcp++;
    return {
      packet,
      ipVersion: ip.version,
      src: ip.src,
      dst: ip.dst,
      srcPort: (d[s] << 8) | d[s + 1],
      dstPort: (d[s + 2] << 8) | d[s + 3],
      seq: ((d[s + 4] << 24) | (d[s + 5] << 16) | (d[s + 6] << 8) | d[s + 7]) >>> 0,
      ack: ((d[s + 8] << 24) | (d[s + 9] << 16) | (d[s + 10] << 8) | d[s + 11]) >>> 0,
      // The 9 flag bits: the low bit of byte 12 (AE, formerly NS) above CWR ECE URG ACK PSH RST SYN FIN.
      flags: ((d[s + 12] & 0x01) << 8) | d[s + 13],
      window: (d[s + 14] << 8) | d[s + 15],
      payload: d.subarray(payloadStart, payloadEnd),
      truncated: ip.end < ip.declaredEnd,
    };
  }
}

function positive(v: number | undefined, dflt: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : dflt;
}
