/**
 * Message compression (grpc/doc/compression.md): the Compressed-Flag of a message says it is compressed with
 * the grpc-encoding of its direction's headers. "gzip" is RFC 1952, "deflate" is the zlib format (RFC 1950,
 * as grpc-java's DeflaterOutputStream and grpc-go write it); raw deflate (RFC 1951) is accepted as a
 * fallback because some implementations send it under that name.
 *
 * Decompression is bounded: zlib's synchronous functions stop at `maxOutputLength` and throw a RangeError,
 * so a bomb (256 MB of zeros in 256 KB) costs at most the limit in time and memory.
 */
import * as zlib from 'node:zlib';

/**
 * Default largest decompressed message: 64 MiB, the same as the default largest message on the wire
 * (DEFAULT_MAX_MESSAGE_BYTES), so a compressed message can never decode to more than an uncompressed one.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** Why a message could not be decompressed; its text goes into the message record's `error`. */
export class DecompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecompressionError';
  }
}

/** Encodings this module understands (lower case, as the grpc-encoding header names them). */
export const SUPPORTED_ENCODINGS: readonly string[] = ['identity', 'gzip', 'deflate'];

/**
 * Decompresses one message. `encoding` is the grpc-encoding in force (undefined when the headers had none).
 * Throws DecompressionError naming the problem: unsupported encoding, corrupt data, or the size limit.
 */
export function decompress(
  encoding: string | undefined,
  bytes: Uint8Array,
  maxDecompressedBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
  note?: (message: string) => void,
): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  const opts: zlib.ZlibOptions = { maxOutputLength: Math.max(1, maxDecompressedBytes) };
  try {
    switch (enc) {
      case 'gzip':
        return gunzipKeepingBody(bytes, opts, note);
      case 'deflate':
        try {
          return zlib.inflateSync(bytes, opts);
        } catch (e) {
          if (e instanceof RangeError) throw e;
          try {
            return zlib.inflateRawSync(bytes, opts);
          } catch (raw) {
            // Neither format: report the zlib-format error, the one the spec asks for.
            throw raw instanceof RangeError ? raw : e;
          }
        }
      case 'identity':
        throw new DecompressionError(
          encoding === undefined
            ? 'compressed flag set but no grpc-encoding header'
            : 'compressed flag set but grpc-encoding is identity',
        );
      default:
        throw new DecompressionError(`unsupported grpc-encoding ${enc}`);
    }
  } catch (e) {
    if (e instanceof DecompressionError) throw e;
    if (e instanceof RangeError) throw new DecompressionError(`decompressed size over limit ${maxDecompressedBytes}`);
    throw new DecompressionError(`${enc} decompression failed: ${(e as Error).message}`);
  }
}

/**
 * gunzip; when bytes that are not another gzip member follow the first member (zlib then fails the whole
 * message with "incorrect header check"), the member's body is kept if its CRC-32 and length check out,
 * and the trailing bytes are reported through `note` rather than losing the inflated body.
 */
function gunzipKeepingBody(bytes: Uint8Array, opts: zlib.ZlibOptions, note?: (message: string) => void): Buffer {
  try {
    return zlib.gunzipSync(bytes, opts);
  } catch (e) {
    if (e instanceof RangeError) throw e;
    const start = gzipHeaderLength(bytes);
    if (start < 0) throw e;
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      inflated = zlib.inflateRawSync(bytes.subarray(start), { ...opts, info: true }) as unknown as typeof inflated;
    } catch (raw) {
      throw raw instanceof RangeError ? raw : e;
    }
    const end = start + inflated.engine.bytesWritten;
    if (bytes.length < end + 8) throw e;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const body = inflated.buffer;
    const crcOk = typeof zlib.crc32 !== 'function' || view.readUInt32LE(end) === zlib.crc32(body) >>> 0;
    if (!crcOk || view.readUInt32LE(end + 4) !== body.length >>> 0) throw e;
    const trailing = bytes.length - end - 8;
    if (trailing <= 0) throw e;
    note?.(`${trailing} trailing byte${trailing === 1 ? '' : 's'} after the gzip member ignored`);
    return body;
  }
}

/** Length of the gzip member header (RFC 1952 §2.3), or -1 when it is not one or is cut. */
function gzipHeaderLength(b: Uint8Array): number {
  if (b.length < 10 || b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return -1;
  const flg = b[3];
  let p = 10;
  if (flg & 0x04) {
    // FEXTRA: XLEN (2, little-endian) and that many octets.
    if (p + 2 > b.length) return -1;
    p += 2 + (b[p] | (b[p + 1] << 8));
  }
  for (const bit of [0x08, 0x10]) {
    // FNAME, FCOMMENT: zero-terminated.
    if (!(flg & bit)) continue;
    while (p < b.length && b[p] !== 0) p++;
    p++;
  }
  if (flg & 0x02) p += 2; // FHCRC
  return p <= b.length ? p : -1;
}

/** Compresses (for tests, and for writers of synthetic captures). */
export function compress(encoding: 'gzip' | 'deflate', bytes: Uint8Array): Buffer {
  return encoding === 'gzip' ? zlib.gzipSync(bytes) : zlib.deflateSync(bytes);
}
