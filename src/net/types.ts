/**
 * The contract of the link/IP layer: a captured packet in, a TCP segment (or nothing) out.
 */
import type { Packet } from '../pcap/types';

export interface TcpSegment {
  packet: Packet;
  ipVersion: 4 | 6;
  /** Textual addresses: dotted IPv4, RFC 5952 IPv6 (no brackets). */
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** Raw 32-bit sequence and acknowledgement numbers (unsigned). */
  seq: number;
  ack: number;
  /** TCP flag bits as in the header: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20 … */
  flags: number;
  window: number;
  /** TCP payload: zero-copy view, valid only while the packet is being processed. */
  payload: Uint8Array;
  /** True when the snap length cut this packet's TCP payload short (bytes on the wire are missing). */
  truncated: boolean;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Counters of what the link/IP layer skipped: reported on stderr, never an error. */
export interface NetCounters {
  packets: number;
  tcp: number;
  unsupportedLinkType: number;
  nonIp: number;
  nonTcp: number;
  malformed: number;
  ipFragments: number;
  reassembledDatagrams: number;
  droppedFragments: number;
}
