/**
 * Numbers of the capture file formats, named as their specifications name them:
 * - pcapng: draft-ietf-opsawg-pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/), section
 *   numbers below refer to it;
 * - pcap: draft-ietf-opsawg-pcap (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/);
 * - link types: https://www.tcpdump.org/linktypes.html.
 */

/** pcapng block types (section 11.1, "Block Type Codes"). */
export const enum BlockType {
  /** Obsolete Packet Block (Appendix A): superseded by the EPB, still written by old tools. */
  PB = 0x00000002,
  /** Interface Description Block (section 4.2). */
  IDB = 0x00000001,
  /** Simple Packet Block (section 4.4). */
  SPB = 0x00000003,
  /** Name Resolution Block (section 4.5). */
  NRB = 0x00000004,
  /** Interface Statistics Block (section 4.6). */
  ISB = 0x00000005,
  /** Enhanced Packet Block (section 4.3). */
  EPB = 0x00000006,
  /** IRIG Timestamp Block, ARINC 429 blocks (reserved: skipped). */
  IRIG_TS = 0x00000007,
  ARINC_429 = 0x00000008,
  /** systemd Journal Export Block (section 4.7 of later drafts). */
  SYSTEMD_JOURNAL_EXPORT = 0x00000009,
  /** Decryption Secrets Block (section 4.8). */
  DSB = 0x0000000a,
  /** Custom Block that rewriters should copy / should not copy (section 4.9). */
  CB_COPY = 0x00000bad,
  CB_NO_COPY = 0x40000bad,
  /** Section Header Block (section 4.1): a palindrome, so it reads the same in either byte order. */
  SHB = 0x0a0d0d0a,
}

/** Byte-Order Magic of the Section Header Block (section 4.1): 0x1A2B3C4D in the writer's byte order. */
/** pcapng §4.8 Secrets Type of a DSB holding TLS key log lines (the NSS key log format): 'TLSK'. */
export const DSB_SECRETS_TYPE_TLS = 0x544c534b;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Options common to every block (section 3.5). */
export const enum OptionCode {
  /** opt_endofopt: ends the option list. */
  ENDOFOPT = 0,
  /** opt_comment: UTF-8 text. */
  COMMENT = 1,
  /** opt_custom: options that carry a Private Enterprise Number. */
  CUSTOM_STR_COPY = 2988,
  CUSTOM_BIN_COPY = 2989,
  CUSTOM_STR_NO_COPY = 19372,
  CUSTOM_BIN_NO_COPY = 19373,
}

/** Section Header Block options (section 4.1). */
export const enum ShbOption {
  HARDWARE = 2,
  OS = 3,
  USERAPPL = 4,
}

/** Interface Description Block options (section 4.2). */
export const enum IdbOption {
  NAME = 2,
  DESCRIPTION = 3,
  IPV4ADDR = 4,
  IPV6ADDR = 5,
  MACADDR = 6,
  EUIADDR = 7,
  SPEED = 8,
  /** if_tsresol: one octet; MSB 0 means 10^-n seconds, MSB 1 means 2^-n seconds (n in the low 7 bits). */
  TSRESOL = 9,
  TZONE = 10,
  /** if_filter: first octet is the filter kind (0: libpcap filter string, 1: BPF program), then the filter. */
  FILTER = 11,
  OS = 12,
  FCSLEN = 13,
  /** if_tsoffset: signed 64-bit seconds added to every timestamp of the interface. */
  TSOFFSET = 14,
  HARDWARE = 15,
  TXSPEED = 16,
  RXSPEED = 17,
}

/** Enhanced Packet Block options (section 4.3). */
export const enum EpbOption {
  FLAGS = 2,
  HASH = 3,
  DROPCOUNT = 4,
  PACKETID = 5,
  QUEUE = 6,
  VERDICT = 7,
}

/** Name Resolution Block record types (section 4.5). */
export const enum NrbRecord {
  END = 0,
  IPV4 = 1,
  IPV6 = 2,
  EUI48 = 3,
  EUI64 = 4,
}

/** Interface Statistics Block options (section 4.6). */
export const enum IsbOption {
  STARTTIME = 2,
  ENDTIME = 3,
  IFRECV = 4,
  IFDROP = 5,
  FILTERACCEPT = 6,
  OSDROP = 7,
  USRDELIV = 8,
}

/** if_filter kinds (section 4.2, if_filter). */
export const IF_FILTER_LIBPCAP_STRING = 0;

/**
 * pcap file magics (draft-ietf-opsawg-pcap section 4), as read big-endian from the first four bytes.
 * A file written on a little-endian machine starts with the byte-swapped value.
 */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_MAGIC_MICROSECONDS_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NANOSECONDS_SWAPPED = 0x4d3cb2a1;
/** Alexey Kuznetzov's "modified" pcap (longer record headers): recognised only to say it is not read. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAP_MAGIC_MODIFIED_SWAPPED = 0x34cdb2a1;

/** Sizes fixed by the formats. */
export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
/** Block Type + Block Total Length ... Block Total Length (section 3.1). */
export const PCAPNG_BLOCK_OVERHEAD = 12;
/** Smallest SHB: overhead, byte-order magic, versions, section length. */
export const PCAPNG_SHB_MIN_BYTES = 28;

/** LINKTYPE_* values this project decodes (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Human names for error messages ("in the middle of an Enhanced Packet Block"). */
export function blockTypeName(type: number): string {
  switch (type) {
    case BlockType.SHB: return 'Section Header Block';
    case BlockType.IDB: return 'Interface Description Block';
    case BlockType.PB: return 'Packet Block';
    case BlockType.SPB: return 'Simple Packet Block';
    case BlockType.NRB: return 'Name Resolution Block';
    case BlockType.ISB: return 'Interface Statistics Block';
    case BlockType.EPB: return 'Enhanced Packet Block';
    case BlockType.DSB: return 'Decryption Secrets Block';
    case BlockType.CB_COPY:
    case BlockType.CB_NO_COPY: return 'Custom Block';
    default: return `block of type 0x${(type >>> 0).toString(16).padStart(8, '0')}`;
  }
}
