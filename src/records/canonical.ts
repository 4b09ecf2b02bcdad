/**
 * Which record objects have the canonical shape of ./types.ts: exactly the keys of MessageRecord or
 * CallRecord in the order declared there, with values of the declared types. The gRPC layer builds its
 * records that way; the NDJSON writer (../output/ndjson.ts) writes such records field by field, with cached
 * bytes for the parts that repeat (addresses, method paths, header objects), instead of JSON.stringify over
 * the whole record — the hot spot of `grpctk decode --format ndjson`.
 *
 * Why an identity check and not a flag on the record: a flag would be a field (JSON.stringify and
 * deepStrictEqual see it) or a WeakSet entry (about 150 ns per record, measured: more than the writing it
 * saves on small records). The builder names the record it is about to emit; a writer handed that very
 * object, synchronously on the way down, knows where it came from. Records from anywhere else (NDJSON
 * input, tests, records held back and written later) are not that object and take the generic path, which
 * gives the same bytes. Records are never modified on their way down (filters and writers only read them).
 */

export const canonicalRecord: {
  /** The record the gRPC layer is emitting (or emitted last); null before the first. */
  current: object | null;
} = { current: null };
