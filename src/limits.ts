/**
 * Every buffer that can grow has a limit; these are the defaults the CLI exposes as flags. Each layer
 * documents, where it declares its own, what happens when the limit is reached.
 */
export interface Limits {
  /** gRPC: largest declared message length decoded (--max-message-size). Larger: skipped, not buffered. */
  maxMessageBytes: number;
  /** gRPC: largest decompressed size (--max-decompressed-size). Inflation stops there; the message is reported. */
  maxDecompressedBytes: number;
  /** protobuf: nesting depth decoded (--max-depth). Deeper fields are shown as bytes. */
  maxDepth: number;
  /** HTTP/2: streams tracked per connection (--max-streams). The oldest open stream is dropped and counted. */
  maxStreamsPerConnection: number;
  /** TCP: connections tracked at once (--max-connections). The least recently active is closed. */
  maxConnections: number;
  /** TCP: out-of-order bytes held per direction (--max-buffered). The oldest gap is given up and reported. */
  maxBufferedBytesPerDirection: number;
  /** TCP: out-of-order bytes held over all connections. Gaps are given up, oldest first. */
  maxBufferedBytesTotal: number;
}

/**
 * The defaults keep a decode within a memory budget of 256 MB peak RSS whatever the capture holds (README,
 * Limits): about 60 MB of runtime and schema, 20,000 connections at about 7 KB each when every one is an
 * HTTP/2 connection with a call open (140 MB; 1.2 KB for one that carries no bytes), 32 MiB of
 * out-of-order TCP bytes, and what one message may cost besides.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 64 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxDepth: 100,
  maxStreamsPerConnection: 10_000,
  maxConnections: 20_000,
  maxBufferedBytesPerDirection: 4 * 1024 * 1024,
  maxBufferedBytesTotal: 32 * 1024 * 1024,
});
