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
}
