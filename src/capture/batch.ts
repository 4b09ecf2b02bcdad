/**
 * A batch from the libpcap binding: packed records, each a 20-byte little-endian header then the captured
 * bytes (see native/grpctk_pcap.cc):
 *
 *   u32 ts_sec_lo, u32 ts_sec_hi, u32 ts_nsec, u32 caplen, u32 len, caplen bytes
 */
import { InputError } from '../errors';

export const BATCH_RECORD_HEADER_BYTES = 20;

/** One captured packet. `data` is a zero-copy view into the batch: valid as long as the batch is. */
export interface LivePacket {
  tsSec: number;
  tsNsec: number;
  /** Length on the wire; `data.length` is the captured length. */
  originalLength: number;
  data: Uint8Array;
}

/**
 * Calls `onPacket` for each record of `batch`, in capture order, until it returns false. Returns how many
 * packets were handed over. A record that runs past the end means the binding and this file disagree: an
 * error naming the offset, never a read out of bounds.
 */
export function forEachPacket(batch: Uint8Array, onPacket: (p: LivePacket) => boolean | void): number {
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let pos = 0;
  let n = 0;
  while (pos < batch.length) {
    if (batch.length - pos < BATCH_RECORD_HEADER_BYTES) {
      throw new InputError(`capture batch: record header cut short at byte ${pos} of ${batch.length}`);
    }
    const tsSec = dv.getUint32(pos, true) + dv.getUint32(pos + 4, true) * 0x1_0000_0000;
    const tsNsec = dv.getUint32(pos + 8, true);
    const caplen = dv.getUint32(pos + 12, true);
    const originalLength = dv.getUint32(pos + 16, true);
    const start = pos + BATCH_RECORD_HEADER_BYTES;
    if (caplen > batch.length - start) {
      throw new InputError(`capture batch: ${caplen} packet bytes announced at byte ${pos}, ${batch.length - start} left`);
    }
    pos = start + caplen;
    n++;
    if (onPacket({ tsSec, tsNsec, originalLength, data: batch.subarray(start, pos) }) === false) break;
  }
  return n;
}
