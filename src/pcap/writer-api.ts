/**
 * The pcapng writer's interface (implemented in ./writer.ts). Push-style: the writer hands finished bytes to
 * `out`; the edge (a file descriptor, stdout) decides how to write them.
 */
import type { PcapngOption } from './types';

export interface WriterSection {
  /** shb_userappl, e.g. "grpctk 0.1.0". */
  userAppl?: string;
  hardware?: string;
  os?: string;
  comments?: string[];
}

export interface WriterInterface {
  linkType: number;
  snapLen: number;
  /** Options copied from the source IDB (if_name, if_tsresol, if_filter …) or built for a live capture. */
  options?: PcapngOption[];
  /** Convenience: added as options when `options` does not already carry them. */
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  /** Resolution written in if_tsresol (default: nanoseconds, 10^-9). */
  tsResolBase?: 10 | 2;
  tsResolExp?: number;
}

export interface WriterPacket {
  tsSec: number;
  tsNsec: number;
  originalLength: number;
  data: Uint8Array;
  comments?: string[];
  flags?: number;
  /** Raw EPB options to copy (comments and flags included); when given, comments/flags above are ignored. */
  options?: PcapngOption[];
}

export interface WriterStatistics {
  tsSec: number;
  tsNsec: number;
  received?: number;
  dropped?: number;
}
