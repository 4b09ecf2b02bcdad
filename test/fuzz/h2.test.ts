/**
 * Property-based HTTP/2 conversations (well-formed gRPC calls, then junk frames of every type, lying
 * lengths, HPACK noise and TCP losses) written as captures and decoded by the whole core: well-formed ones
 * must decode to exactly their calls; the rest only to valid records or one InputError.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('h2', 'generated HTTP/2 conversations decode exactly when well-formed, and never crash when not');
