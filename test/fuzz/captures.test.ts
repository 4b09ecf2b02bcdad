/**
 * Mutations of every sample capture (bit flips, truncations, lying lengths at every layer, duplicated,
 * dropped and swapped blocks) through the whole decode core: only InputError may come out, every record
 * is a valid NDJSON record, each input finishes in bounded time and memory.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('captures', 'mutated sample captures decode to valid records or one InputError, in bounded time and memory');
