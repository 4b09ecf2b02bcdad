/**
 * TCP reassembly at large counts: up to 10,000 segments in random order, with duplicates, overlaps, holes
 * and tight buffer limits; every octet delivered is the stream's own, in order, once.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('tcp', 'reassembly of up to 10,000 reordered, duplicated and missing segments delivers each octet once, in order');
