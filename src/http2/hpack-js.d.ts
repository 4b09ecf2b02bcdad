/**
 * Minimal types for the untyped `hpack.js` package (used by the tests to encode header blocks and by the
 * benchmark that compares it with our decoder). Only what we call is declared.
 */
declare module 'hpack.js' {
  import type { Duplex } from 'stream';

  interface HpackHeader {
    name: string;
    value: string;
    neverIndex?: boolean;
    /** false: literal without indexing. */
    incremental?: boolean;
    /** false: raw octets instead of Huffman. */
    huffman?: boolean;
  }

  interface Compressor extends Duplex {
    write(headers: HpackHeader[]): boolean;
    read(): Buffer | null;
    updateTableSize(size: number): void;
  }

  interface Decompressor extends Duplex {
    write(block: Uint8Array): boolean;
    execute(cb?: (err: Error | null) => void): void;
    read(): { name: string; value: string; neverIndex: boolean } | null;
    updateTableSize(size: number): void;
  }

  const hpack: {
    compressor: { create(options: { table: { maxSize: number } }): Compressor };
    decompressor: { create(options: { table: { maxSize: number } }): Decompressor };
    huffman: { encode: Array<[length: number, code: number]> };
    'static-table': { table: Array<{ name: string; value: string }> };
  };
  export = hpack;
}
