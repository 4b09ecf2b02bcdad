/**
 * Protobuf bytes (noise, wire-shaped junk, nesting 3,000 deep through fields, groups, Struct and Any, and
 * valid DemoRequests) decoded as every demo type and without schema: never a throw, always a JSON body.
 */
import { fuzzTest } from './lib/fuzz-test';

fuzzTest('protobuf', 'protobuf bytes decode to a JSON body (or raw with an error) as every type, never a throw');
