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
): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  const opts: zlib.ZlibOptions = { maxOutputLength: Math.max(1, maxDecompressedBytes) };
  try {
    switch (enc) {
      case 'gzip':
        return zlib.gunzipSync(bytes, opts);
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

/** Compresses (for tests, and for writers of synthetic captures). */
export function compress(encoding: 'gzip' | 'deflate', bytes: Uint8Array): Buffer {
  return encoding === 'gzip' ? zlib.gzipSync(bytes) : zlib.deflateSync(bytes);
}
