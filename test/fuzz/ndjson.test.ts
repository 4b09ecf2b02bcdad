/**
 * Broken NDJSON (decode's own output, cut, corrupted, of the wrong types, nested 20,000 deep) through the
 * record reader and every consumer of records: decode's writer, stats and export.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('ndjson', 'broken NDJSON gives one InputError (or is skipped), and what is accepted never breaks stats, export or decode');
