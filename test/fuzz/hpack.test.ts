/**
 * HPACK: blocks from an independent encoder decode exactly; hostile blocks (size updates to 4 GB, integers
 * that overflow, lying string lengths, invalid Huffman) never throw, never grow the table past its limit
 * and never poison the next block.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('hpack', 'HPACK blocks: exact round trip with hpack.js, and hostile blocks never throw or poison the next');
