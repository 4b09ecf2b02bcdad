/**
 * Schemas from the capture itself: gRPC server reflection (grpc/reflection/v1 and v1alpha,
 * ServerReflectionInfo) answers with serialized FileDescriptorProtos, the very files a service was built
 * from. Tools such as grpcurl, Postman and gateways ask for them before calling, so a capture of their traffic
 * carries the schema of the calls that follow.
 *
 * `ReflectionHarvest` is a MessageDecoder placed in front of the schema decoder: it decodes as the schema
 * does, collects the files of every reflection response it decodes, and from then on also knows the methods
 * and types they define (the user's own files win: they are asked first). So one pass types every call
 * after the reflection exchange. To type the calls before it too, the pipeline runs a first pass over a
 * capture file that holds a reflection call (found cheaply by `mayHoldReflection`, a byte search for the
 * method's path in the form HPACK or HTTP/1.1 sends it).
 */
import type { DecodedBody, DecodeOptions, MessageDecoder, MethodInfo, MethodTypes } from '../protobuf/types';
import { huffmanCodes } from '../http2/hpack';

export const REFLECTION_METHODS: readonly string[] = [
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
];

const RESPONSE_TYPES = new Set(['grpc.reflection.v1.ServerReflectionResponse', 'grpc.reflection.v1alpha.ServerReflectionResponse']);

/**
 * Files kept from reflection responses, and their bytes over all: a capture cannot make the schema grow
 * without bound. Past either, later files are not kept (and the summary says so).
 */
export const MAX_HARVESTED_FILES = 10_000;
export const MAX_HARVESTED_BYTES = 64 * 1024 * 1024;

/** Builds a decoder from serialized FileDescriptorProtos; throws when they do not make a schema. */
export type SchemaFromFiles = (files: Uint8Array[]) => MessageDecoder;

export class ReflectionHarvest implements MessageDecoder {
  /** FileDescriptorProtos by file name (a name seen again is the same file). */
  private readonly files = new Map<string, Uint8Array>();
  private bytes = 0;
  private harvested: MessageDecoder | null = null;
  private stale = false;
  /** Why the harvested files could not be used, once. */
  failure: string | null = null;
  dropped = 0;

  constructor(
    private readonly base: MessageDecoder,
    private readonly build: SchemaFromFiles,
    initial: Uint8Array[] = [],
  ) {
    for (const f of initial) this.add(f);
  }

  get fileCount(): number {
    return this.files.size;
  }

  /** The serialized files collected so far. */
  fileBytes(): Uint8Array[] {
    return [...this.files.values()];
  }

  methodTypes(path: string): MethodTypes | undefined {
    return this.base.methodTypes(path) ?? this.current()?.methodTypes(path);
  }

  /** The methods of the given schemas, then those of the harvested files that the given ones lack. */
  methods(): readonly MethodInfo[] {
    const base = this.base.methods?.() ?? [];
    const more = this.current()?.methods?.() ?? [];
    if (more.length === 0) return base;
    const seen = new Set(base.map((m) => m.path));
    return [...base, ...more.filter((m) => !seen.has(m.path))];
  }

  fitsStrictly(typeName: string, bytes: Uint8Array): boolean {
    if (this.base.fitsStrictly?.(typeName, bytes)) return true;
    return this.current()?.fitsStrictly?.(typeName, bytes) ?? false;
  }

  decode(typeName: string | undefined, bytes: Uint8Array, options?: DecodeOptions): DecodedBody {
    let out = this.base.decode(typeName, bytes, options);
    if (out.messageType === null && typeName !== undefined) {
      // A type only the harvested files define.
      const h = this.current();
      if (h !== null) out = h.decode(typeName, bytes, options);
    }
    if (typeName !== undefined && RESPONSE_TYPES.has(typeName) && out.error === null) this.collect(out.body);
    return out;
  }

  private collect(body: unknown): void {
    const files = (body as { fileDescriptorResponse?: { fileDescriptorProto?: unknown } } | null)?.fileDescriptorResponse?.fileDescriptorProto;
    if (!Array.isArray(files)) return;
    for (const b64 of files) if (typeof b64 === 'string') this.add(Buffer.from(b64, 'base64'));
  }

  private add(file: Uint8Array): void {
    const name = fileName(file);
    if (name === null || this.files.has(name)) return;
    if (this.files.size >= MAX_HARVESTED_FILES || this.bytes + file.length > MAX_HARVESTED_BYTES) {
      this.dropped++;
      return;
    }
    this.files.set(name, file);
    this.bytes += file.length;
    this.stale = true;
  }

  private current(): MessageDecoder | null {
    if (this.stale) {
      this.stale = false;
      try {
        this.harvested = this.build([...this.files.values()]);
        this.failure = null;
      } catch (e) {
        // Files whose dependencies have not come yet: tried again when more arrive.
        this.failure = (e as Error).message;
      }
    }
    return this.harvested;
  }
}

/** FileDescriptorProto.name (field 1), read without a schema; null when the bytes do not start with it. */
function fileName(b: Uint8Array): string | null {
  if (b.length < 2 || b[0] !== 0x0a) return null;
  let len = 0;
  let shift = 0;
  let i = 1;
  for (; i < b.length && i < 6; i++) {
    len |= (b[i] & 0x7f) << shift;
    shift += 7;
    if ((b[i] & 0x80) === 0) break;
  }
  i++;
  if (i + len > b.length) return null;
  return Buffer.from(b.buffer, b.byteOffset + i, len).toString('utf8');
}

/**
 * The byte strings that show a reflection call's `:path` on the wire: as sent in HTTP/1.1 and in an HPACK
 * literal, plain or Huffman-coded (a literal starts on an octet boundary, so its code's whole octets are a
 * fixed string). Not found: encrypted traffic, a path split between two segments of a capture, or one sent
 * only as a reference to an earlier entry (whose literal came before it in the same capture, so is found).
 */
export function reflectionPatterns(): Buffer[] {
  const out: Buffer[] = [];
  for (const path of REFLECTION_METHODS) {
    out.push(Buffer.from(path, 'latin1'));
    out.push(huffmanPrefix(path));
  }
  return out;
}

function huffmanPrefix(s: string): Buffer {
  const codes = huffmanCodes();
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const [code, len] = codes[s.charCodeAt(i)];
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** b) & 1);
      if (++bits === 8) {
        bytes.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  return Buffer.from(bytes);
}

/** A streaming search for the patterns over chunks of a file (a match may span chunk borders). */
export class ReflectionScan {
  private readonly patterns = reflectionPatterns();
  private readonly keep = Math.max(...this.patterns.map((p) => p.length)) - 1;
  private tail = Buffer.alloc(0);
  found = false;

  push(chunk: Uint8Array): void {
    if (this.found) return;
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (const p of this.patterns) {
      if (buf.indexOf(p) >= 0) {
        this.found = true;
        return;
      }
    }
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - this.keep)));
  }
}
