/**
 * Link layers: find where the IP header starts in a captured frame.
 *
 * Link-type numbers are the LINKTYPE_* values of https://www.tcpdump.org/linktypes.html (what pcap and
 * pcapng files carry, not the platform's DLT_* values). Only the layers that carry IP in practice are
 * decoded; anything else is reported as unsupported and skipped by the caller, never an error.
 */

/** LINKTYPE_* values this layer understands. */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the *capturing host's* byte order. */
  NULL: 0,
  /** IEEE 802.3 Ethernet (with 802.1Q / 802.1ad tags). */
  ETHERNET: 1,
  /** Raw IP; the version nibble tells v4 from v6. */
  RAW: 101,
  /** OpenBSD loopback: like NULL but the address family is in network byte order. */
  LOOP: 108,
  /** Linux "cooked" capture v1 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html). */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux "cooked" capture v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html). */
  LINUX_SLL2: 276,
} as const;

/** EtherType values (IEEE registry) that matter here. */
export const EtherType = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  /** IEEE 802.1Q customer VLAN tag. */
  VLAN: 0x8100,
  /** IEEE 802.1ad service VLAN tag (QinQ outer tag). */
  QINQ: 0x88a8,
  /** Pre-standard QinQ outer tag still emitted by some switches. */
  QINQ_OLD: 0x9100,
} as const;

/** BSD address families found in NULL/LOOP headers (values differ per OS for IPv6). */
export const BsdAf = {
  INET: 2,
  /** NetBSD, OpenBSD, BSD/OS. */
  INET6_BSD: 24,
  /** FreeBSD, DragonFly BSD. */
  INET6_FREEBSD: 28,
  /** macOS, iOS. */
  INET6_DARWIN: 30,
} as const;

/** Ethernet header: destination (6), source (6), EtherType (2). */
const ETHERNET_HEADER_LEN = 14;
/** One 802.1Q/802.1ad tag: TCI (2) then the inner EtherType (2). */
const VLAN_TAG_LEN = 4;
/**
 * Stacked VLAN tags followed before giving up (QinQ is 2; a few more are seen in carrier networks).
 * Past it the frame is counted as not IP.
 */
export const MAX_VLAN_TAGS = 8;
const SLL_HEADER_LEN = 16;
const SLL2_HEADER_LEN = 20;
const NULL_HEADER_LEN = 4;

/** Result codes of `findNetworkLayer` (the non-negative case is an IP header). */
export const LINK_UNSUPPORTED = -1;
export const LINK_NOT_IP = -2;
export const LINK_MALFORMED = -3;

/**
 * Where the network layer is. Reused by the caller for every packet so that decoding allocates nothing.
 * `version` is 4 or 6 when the link header says which, 0 when the IP header's version nibble must decide.
 */
export interface NetworkLayer {
  offset: number;
  version: 0 | 4 | 6;
}

/**
 * Fill `out` with the offset of the IP header in `data` and return 0, or return one of the LINK_* codes.
 */
export function findNetworkLayer(linkType: number, data: Uint8Array, out: NetworkLayer): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      if (data.length < ETHERNET_HEADER_LEN) return LINK_MALFORMED;
      return etherType(data, 12, ETHERNET_HEADER_LEN, out);
    case LinkType.LINUX_SLL:
      // packet type (2), ARPHRD (2), address length (2), address (8), protocol (2)
      if (data.length < SLL_HEADER_LEN) return LINK_MALFORMED;
      return etherType(data, 14, SLL_HEADER_LEN, out);
    case LinkType.LINUX_SLL2:
      // protocol (2), reserved (2), interface index (4), ARPHRD (2), packet type (1), addr len (1), addr (8)
      if (data.length < SLL2_HEADER_LEN) return LINK_MALFORMED;
      return etherType(data, 0, SLL2_HEADER_LEN, out);
    case LinkType.NULL: {
      if (data.length < NULL_HEADER_LEN) return LINK_MALFORMED;
      // Written in the capturing host's byte order, which the file does not record: a family is a small
      // number, so whichever reading fits in 16 bits is the right one.
      let af = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
      if (af > 0xffff) af = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
      return bsdFamily(af, out);
    }
    case LinkType.LOOP: {
      if (data.length < NULL_HEADER_LEN) return LINK_MALFORMED;
      const af = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
      return bsdFamily(af, out);
    }
    case LinkType.RAW:
      out.offset = 0;
      out.version = 0;
      return 0;
    case LinkType.IPV4:
      out.offset = 0;
      out.version = 4;
      return 0;
    case LinkType.IPV6:
      out.offset = 0;
      out.version = 6;
      return 0;
    default:
      return LINK_UNSUPPORTED;
  }
}

/** Follow an EtherType at `typeAt` (payload at `payloadAt`) through VLAN tags to IPv4/IPv6. */
function etherType(data: Uint8Array, typeAt: number, payloadAt: number, out: NetworkLayer): number {
  let type = (data[typeAt] << 8) | data[typeAt + 1];
  let offset = payloadAt;
  for (let tags = 0; type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD; tags++) {
    if (tags === MAX_VLAN_TAGS) return LINK_NOT_IP;
    if (data.length < offset + VLAN_TAG_LEN) return LINK_MALFORMED;
    type = (data[offset + 2] << 8) | data[offset + 3];
    offset += VLAN_TAG_LEN;
  }
  if (type === EtherType.IPV4) out.version = 4;
  else if (type === EtherType.IPV6) out.version = 6;
  else return LINK_NOT_IP;
  out.offset = offset;
  return 0;
}

function bsdFamily(af: number, out: NetworkLayer): number {
  out.offset = NULL_HEADER_LEN;
  if (af === BsdAf.INET) out.version = 4;
  else if (af === BsdAf.INET6_BSD || af === BsdAf.INET6_FREEBSD || af === BsdAf.INET6_DARWIN) out.version = 6;
  else return LINK_NOT_IP;
  return 0;
}
