/**
 * The contract of the protobuf layer: a schema registry built from .proto files and descriptor sets, and a
 * decoder from message bytes to canonical proto3 JSON (or the schema-less raw form).
 */

export interface SchemaSources {
  /** -I/--proto-path: every .proto under each directory is loaded; imports resolve against all of them. */
  protoPaths?: string[];
  /** --proto: single files (their imports resolve against protoPaths and the file's own directory). */
  protoFiles?: string[];
  /** --descriptor-set: FileDescriptorSet files (protoc -o, buf build). */
  descriptorSets?: string[];
  /** FileDescriptorSets already in memory (from a server's reflection service, `--reflect`). */
  descriptorBytes?: Uint8Array[];
  /** --reflect HOST:PORT: ask this server's reflection service for its files before decoding. */
  reflect?: { target: string; tls: boolean };
}

export interface MethodTypes {
  /** Fully qualified names, without a leading dot. */
  requestType: string;
  responseType: string;
  /** The method's streaming kind (`stream` before its request or response type). */
  clientStreaming?: boolean;
  serverStreaming?: boolean;
}

/** A method of a loaded service. */
export interface MethodInfo extends MethodTypes {
  /** `/pkg.Service/Method`. */
  path: string;
  /** A service grpctk loads by itself (gRPC server reflection), not one of the user's. */
  builtin?: boolean;
}

export interface DecodeOptions {
  /** Keep .proto field names instead of lowerCamelCase JSON names. */
  protoNames?: boolean;
  /** Nesting depth limit for both schema and raw decodes. */
  maxDepth?: number;
}

export interface DecodedBody {
  /** Fully qualified type used, or null for the raw decode. */
  messageType: string | null;
  body: unknown;
  /** Set when the schema decode failed and `body` is the raw decode (or null). */
  error: string | null;
}

export interface MessageDecoder {
  /** The request/response types of `/pkg.Service/Method`, when a loaded service defines it. */
  methodTypes(path: string): MethodTypes | undefined;
  /** Decode `bytes` as `typeName` (or raw when typeName is undefined or unknown). Never throws. */
  decode(typeName: string | undefined, bytes: Uint8Array, options?: DecodeOptions): DecodedBody;
  /**
   * Every method of the services the user's schemas define (absent or empty: none). Services grpctk loads by
   * itself (gRPC server reflection) are left out: they are not evidence of what an unknown call was.
   */
  methods?(): readonly MethodInfo[];
  /**
   * Whether `bytes` parse as `typeName` strictly: every field defined by the type, with its wire type, enum
   * values it names, strings in UTF-8. Never throws.
   */
  fitsStrictly?(typeName: string, bytes: Uint8Array): boolean;
}
