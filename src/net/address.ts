/**
 * Textual IP addresses, built once per distinct address: a capture repeats the same few addresses millions
 * of times, so formatting goes through small caches keyed by the address bits.
 */

/**
 * Distinct addresses remembered per family. When a cache is full it is cleared and refilled: a scan over
 * millions of addresses costs a few extra string builds, never unbounded memory.
 */
export const ADDRESS_CACHE_SIZE = 65536;

const v4Cache = new Map<number, string>();

/** Dotted-quad IPv4 address from the 4 bytes at `offset`. */
export function formatIpv4(data: Uint8Array, offset: number): string {
  const key = ((data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3]) >>> 0;
  let s = v4Cache.get(key);
  if (s === undefined) {
    s = `${data[offset]}.${data[offset + 1]}.${data[offset + 2]}.${data[offset + 3]}`;
    if (v4Cache.size >= ADDRESS_CACHE_SIZE) v4Cache.clear();
    v4Cache.set(key, s);
  }
  return s;
}

interface V6Entry {
  bytes: Uint8Array;
  text: string;
}
/** Keyed by a 32-bit hash of the 16 bytes; a hit is confirmed byte for byte, a collision overwrites. */
const v6Cache = new Map<number, V6Entry>();

/** IPv6 address from the 16 bytes at `offset`, in RFC 5952 canonical text. */
export function formatIpv6(data: Uint8Array, offset: number): string {
  // FNV-1a over the 16 bytes.
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ data[offset + i], 0x01000193);
  const entry = v6Cache.get(h);
  if (entry !== undefined) {
    const b = entry.bytes;
    let same = true;
    for (let i = 0; i < 16; i++) {
      if (b[i] !== data[offset + i]) {
        same = false;
        break;
      }
    }
    if (same) return entry.text;
  }
  const text = ipv6Text(data, offset);
  if (v6Cache.size >= ADDRESS_CACHE_SIZE) v6Cache.clear();
  v6Cache.set(h, { bytes: data.slice(offset, offset + 16), text });
  return text;
}

/**
 * RFC 5952 section 4: lower-case hex without leading zeros (4.1, 4.3); the longest run of two or more
 * zero groups becomes `::`, the first one on a tie (4.2); section 5: an IPv4-mapped address keeps its
 * IPv4 part dotted (`::ffff:192.0.2.1`).
 */
export function ipv6Text(data: Uint8Array, offset: number): string {
  const groups: number[] = new Array(8);
  for (let i = 0; i < 8; i++) groups[i] = (data[offset + 2 * i] << 8) | data[offset + 2 * i + 1];

  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `::ffff:${data[offset + 12]}.${data[offset + 13]}.${data[offset + 14]}.${data[offset + 15]}`;
  }

  let bestStart = -1;
  let bestLen = 1; // a single zero group is never shortened (4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }

  if (bestStart < 0) return groups.map(hex).join(':');
  const head = groups.slice(0, bestStart).map(hex).join(':');
  const tail = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

function hex(n: number): string {
  return n.toString(16);
}
