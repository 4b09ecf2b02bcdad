/**
 * IPv4 (RFC 791 section 3.1) and IPv6 (RFC 8200 sections 3 and 4) headers: find the TCP bytes of a packet.
 *
 * The IP header's length is the truth about where the datagram ends: Ethernet padding past it is ignored;
 * a snap length that cut the packet before it makes the payload `truncated`. A length smaller than the
 * headers is malformed (nothing handed up). A length that claims more bytes than an uncut frame holds is
 * counted as malformed too, but, as Wireshark does ("IPv4 total length exceeds packet length"), the
 * frame's bytes are used, so that such a packet still belongs to its TCP conversation.
 */
import { formatIpv4, formatIpv6 } from './address';
import { FragmentReassembler } from './fragments';

/** IP protocol numbers / IPv6 Next Header values (IANA "Assigned Internet Protocol Numbers"). */
export const IpProto = {
  /** IPv6 Hop-by-Hop Options (RFC 8200 section 4.3). */
  HOPOPT: 0,
  TCP: 6,
  /** IPv6 Routing header (RFC 8200 section 4.4). */
  ROUTING: 43,
  /** IPv6 Fragment header (RFC 8200 section 4.5). */
  FRAGMENT: 44,
  /** Encapsulating Security Payload (RFC 4303): encrypted, cannot be followed. */
  ESP: 50,
  /** Authentication Header (RFC 4302 section 2): length in 4-byte units minus 2. */
  AH: 51,
  /** No Next Header (RFC 8200 section 4.7). */
  NONE: 59,
  /** IPv6 Destination Options (RFC 8200 section 4.6). */
  DSTOPTS: 60,
} as const;

const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
/** RFC 791: Flags field bit "More Fragments" and the 13-bit Fragment Offset (in 8-byte units). */
const IPV4_MF = 0x2000;
const IPV4_OFFSET_MASK = 0x1fff;
/*
 * IPv6 extension headers are followed however many there are: each is at least 8 octets and the walk only
 * moves forward inside the packet, so a chain costs at most one step per 8 octets of the packet. (A count
 * limit of 16 made a packet with 17 "malformed", and a whole call disappeared with it.)
 */

/** Result codes of the parsers below. */
export const IP_TCP = 0;
export const IP_NOT_TCP = 1;
export const IP_MALFORMED = 2;
/** A fragment was stored; nothing to hand up yet. */
export const IP_FRAGMENT = 3;

/**
 * What the IP layer found: the TCP bytes are `data[start, end)`; `declaredEnd` is where the IP header says
 * they end (larger than `end` when the snap length cut the packet). One object is reused for every packet.
 */
export interface IpPayload {
  version: 4 | 6;
  src: string;
  dst: string;
  data: Uint8Array;
  start: number;
  end: number;
  declaredEnd: number;
}

export interface IpContext {
  fragments: FragmentReassembler;
  counters: { ipFragments: number; malformed: number };
  /** Capture time of the packet, in seconds (fragment timeouts). */
  now: number;
  /** True when the packet was cut by the snap length (captured < original length). */
  cut: boolean;
}

/** Parse the IPv4 header at `off`. */
export function parseIpv4(data: Uint8Array, off: number, ctx: IpContext, out: IpPayload): number {
  const avail = data.length - off;
  if (avail < IPV4_MIN_HEADER || data[off] >> 4 !== 4) return IP_MALFORMED;
  const hlen = (data[off] & 0x0f) * 4;
  if (hlen < IPV4_MIN_HEADER || hlen > avail) return IP_MALFORMED;
  let total = (data[off + 2] << 8) | data[off + 3];
  // A total length of 0 is what TCP segmentation offload leaves in packets captured on the sending host
  // (Wireshark treats it the same way): the frame's length is the truth then.
  if (total === 0) total = avail;
  if (total < hlen) return IP_MALFORMED;
  if (total > avail && !ctx.cut) {
    ctx.counters.malformed++;
    total = avail;
  }

  const proto = data[off + 9];
  const fragField = (data[off + 6] << 8) | data[off + 7];
  const src = formatIpv4(data, off + 12);
  const dst = formatIpv4(data, off + 16);

  if ((fragField & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0) {
    ctx.counters.ipFragments++;
    if (proto !== IpProto.TCP) return IP_NOT_TCP;
    if (total > avail) {
      ctx.fragments.reject();
      return IP_FRAGMENT;
    }
    const id = (data[off + 4] << 8) | data[off + 5];
    const key = `4 ${src} ${dst} ${proto} ${id}`;
    const whole = ctx.fragments.add(
      key,
      (fragField & IPV4_OFFSET_MASK) * 8,
      data.subarray(off + hlen, off + total),
      (fragField & IPV4_MF) !== 0,
      -1,
      ctx.now,
    );
    if (whole === undefined) return IP_FRAGMENT;
    fill(out, 4, src, dst, whole, 0, whole.length, whole.length);
    return IP_TCP;
  }

  if (proto !== IpProto.TCP) return IP_NOT_TCP;
  fill(out, 4, src, dst, data, off + hlen, Math.min(off + total, data.length), off + total);
  return IP_TCP;
}

/** Parse the IPv6 header at `off` and its extension headers. */
export function parseIpv6(data: Uint8Array, off: number, ctx: IpContext, out: IpPayload): number {
  const avail = data.length - off;
  if (avail < IPV6_HEADER || data[off] >> 4 !== 6) return IP_MALFORMED;
  let payloadLen = (data[off + 4] << 8) | data[off + 5];
  // 0 is a jumbogram (RFC 2675) or segmentation offload: take the frame's length.
  if (payloadLen === 0) payloadLen = avail - IPV6_HEADER;
  let declaredEnd = off + IPV6_HEADER + payloadLen;
  if (declaredEnd > data.length && !ctx.cut) {
    ctx.counters.malformed++;
    declaredEnd = data.length;
  }
  const end = Math.min(declaredEnd, data.length);
  const src = formatIpv6(data, off + 8);
  const dst = formatIpv6(data, off + 24);

  let next = data[off + 6];
  let p = off + IPV6_HEADER;
  for (;;) {
    if (next === IpProto.TCP) {
      fill(out, 6, src, dst, data, p, end, declaredEnd);
      return IP_TCP;
    }
    if (next === IpProto.HOPOPT || next === IpProto.ROUTING || next === IpProto.DSTOPTS) {
      // RFC 8200 4.3/4.4/4.6: Hdr Ext Len in 8-octet units, not including the first 8 octets.
      if (p + 2 > end) return IP_MALFORMED;
      const len = (data[p + 1] + 1) * 8;
      if (p + len > declaredEnd) return IP_MALFORMED;
      next = data[p];
      p += len;
    } else if (next === IpProto.AH) {
      // RFC 4302 section 2.2: Payload Len in 4-octet units, minus 2.
      if (p + 2 > end) return IP_MALFORMED;
      const len = (data[p + 1] + 2) * 4;
      if (p + len > declaredEnd) return IP_MALFORMED;
      next = data[p];
      p += len;
    } else if (next === IpProto.FRAGMENT) {
      // RFC 8200 4.5: Next Header (1), reserved (1), Fragment Offset (13 bits) | res (2) | M (1), Identification (4).
      if (p + 8 > end) return IP_MALFORMED;
      const fragNext = data[p];
      const offField = (data[p + 2] << 8) | data[p + 3];
      const fragOffset = (offField >> 3) * 8;
      const more = (offField & 1) !== 0;
      if (fragOffset === 0 && !more) {
        // An atomic fragment (RFC 6946): a whole datagram that merely carries the header.
        next = fragNext;
        p += 8;
        continue;
      }
      ctx.counters.ipFragments++;
      if (declaredEnd > data.length) {
        ctx.fragments.reject();
        return IP_FRAGMENT;
      }
      const id = ((data[p + 4] << 24) | (data[p + 5] << 16) | (data[p + 6] << 8) | data[p + 7]) >>> 0;
      const key = `6 ${src} ${dst} ${id}`;
      const whole = ctx.fragments.add(key, fragOffset, data.subarray(p + 8, end), more, fragNext, ctx.now);
      if (whole === undefined) return IP_FRAGMENT;
      // The reassembled payload starts with the fragmentable part: maybe more extension headers, then TCP.
      return parseIpv6Reassembled(whole, ctx.fragments.nextHeader, src, dst, out);
    } else {
      // ESP, No Next Header, or anything else: not TCP we can read.
      return IP_NOT_TCP;
    }
    // Headers cut by the snap length cannot be followed: counted with the malformed ones (nothing to decode).
    if (p > end) return IP_MALFORMED;
  }
}

function parseIpv6Reassembled(data: Uint8Array, next: number, src: string, dst: string, out: IpPayload): number {
  let p = 0;
  for (;;) {
    if (next === IpProto.TCP) {
      fill(out, 6, src, dst, data, p, data.length, data.length);
      return IP_TCP;
    }
    if (next === IpProto.DSTOPTS || next === IpProto.ROUTING || next === IpProto.HOPOPT || next === IpProto.AH) {
      if (p + 2 > data.length) return IP_MALFORMED;
      const len = next === IpProto.AH ? (data[p + 1] + 2) * 4 : (data[p + 1] + 1) * 8;
      if (p + len > data.length) return IP_MALFORMED;
      next = data[p];
      p += len;
    } else {
      return IP_NOT_TCP;
    }
  }
}

function fill(
  out: IpPayload,
  version: 4 | 6,
  src: string,
  dst: string,
  data: Uint8Array,
  start: number,
  end: number,
  declaredEnd: number,
): void {
  out.version = version;
  out.src = src;
  out.dst = dst;
  out.data = data;
  out.start = start;
  out.end = end;
  out.declaredEnd = declaredEnd;
}
