/**
 * The contract of the capture layer: what the pcap/pcapng reader hands up, and what the pcapng writer takes.
 *
 * The reader is push-style (like gopacket's layers): `push(chunk)` as bytes arrive from a file or stdin,
 * `end()` when they stop. It calls the sink synchronously, in file order. Packet data is a zero-copy view into
 * the chunk being parsed: it is valid only during the `packet()` call; a consumer that keeps bytes copies them.
 */

/** One pcapng option as it appeared in the file (value without padding), kept so a writer can copy it. */
export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

/** A Section Header Block (pcapng), or the file header (pcap: one implicit section). */
export interface CaptureSection {
  /** 0, 1, 2… in file order. */
  index: number;
  format: 'pcap' | 'pcapng';
  littleEndian: boolean;
  /** pcapng shb_hardware / shb_os / shb_userappl, when present. */
  hardware?: string;
  os?: string;
  userAppl?: string;
  comments?: string[];
  options: PcapngOption[];
}

/** An Interface Description Block (pcapng), or the one interface of a pcap file. */
export interface CaptureInterface {
  /** Global index over the whole file, 0, 1, 2… in the order IDBs appear (across sections). */
  id: number;
  /** Section this interface belongs to, and its index within that section (what EPBs refer to). */
  sectionIndex: number;
  localId: number;
  /** LINKTYPE_* value (https://www.tcpdump.org/linktypes.html). */
  linkType: number;
  /** 0 means "no limit" in pcapng. */
  snapLen: number;
  /**
   * Timestamp resolution as the exponent of 10 or 2 from `if_tsresol` (default 10^-6).
   * `tsResolBase` is 10 or 2; `tsResolExp` the negative power (6 for microseconds, 9 for nanoseconds).
   */
  tsResolBase: 10 | 2;
  tsResolExp: number;
  /** `if_tsoffset` in seconds (added to every timestamp of this interface). */
  tsOffset: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  /** Every option as read, including the ones above, for writing back unchanged. */
  options: PcapngOption[];
}

export interface Packet {
  /** 1, 2, 3… in file order over the whole file: Wireshark's `frame.number`. */
  number: number;
  /** Global interface id (CaptureInterface.id); -1 for a Simple Packet Block with no interface. */
  interfaceId: number;
  linkType: number;
  /** Timestamp exact to the nanosecond: whole seconds since the epoch and nanoseconds (0..999,999,999). */
  tsSec: number;
  tsNsec: number;
  /** Bytes present in the file, and the length of the packet on the wire (larger when cut by snaplen). */
  capturedLength: number;
  originalLength: number;
  /** The captured bytes: zero-copy, valid only during the sink's `packet()` call. */
  data: Uint8Array;
  /** opt_comment values (pcapng). */
  comments?: string[];
  /** epb_flags, when present. */
  flags?: number;
  /** Every EPB option as read, for writing back unchanged (comments and flags included). */
  options?: PcapngOption[];
}

/** Interface Statistics Block (pcapng). Counters are numbers (exact up to 2^53). */
export interface InterfaceStatistics {
  interfaceId: number;
  tsSec: number;
  tsNsec: number;
  received?: number;
  dropped?: number;
  options: PcapngOption[];
}

/** Decryption Secrets Block (pcapng): kept for TLS decryption. */
export interface DecryptionSecrets {
  secretsType: number;
  data: Uint8Array;
}

export interface CaptureSink {
  section?(section: CaptureSection): void;
  interface?(iface: CaptureInterface): void;
  packet(packet: Packet): void;
  statistics?(stats: InterfaceStatistics): void;
  /** `data` is a copy: it may be kept. */
  secrets?(secrets: DecryptionSecrets): void;
  /** Name Resolution Block records: address bytes and names. */
  names?(entries: { type: number; address: Uint8Array; names: string[] }[]): void;
}
