/**
 * gRPC status codes by number, with their canonical names as the record field `status_name` spells them
 * (https://github.com/grpc/grpc/blob/master/doc/statuscodes.md). Here, at the bottom, because filters and
 * stats read status names from records, NDJSON input included, without the gRPC layer.
 */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK', // 0
  'CANCELLED', // 1
  'UNKNOWN', // 2
  'INVALID_ARGUMENT', // 3
  'DEADLINE_EXCEEDED', // 4
  'NOT_FOUND', // 5
  'ALREADY_EXISTS', // 6
  'PERMISSION_DENIED', // 7
  'RESOURCE_EXHAUSTED', // 8
  'FAILED_PRECONDITION', // 9
  'ABORTED', // 10
  'OUT_OF_RANGE', // 11
  'UNIMPLEMENTED', // 12
  'INTERNAL', // 13
  'UNAVAILABLE', // 14
  'DATA_LOSS', // 15
  'UNAUTHENTICATED', // 16
];

/** The number of a canonical name (case-insensitive), or undefined. */
export function grpcStatusCode(name: string): number | undefined {
  const i = GRPC_STATUS_NAMES.indexOf(name.toUpperCase());
  return i < 0 ? undefined : i;
}

/**
 * The label a call's status is counted under: its `status_name`, else the number for codes outside the
 * table, else `NONE` when no grpc-status was seen (the call was reset or is still running at the capture's
 * end).
 */
export const NO_STATUS = 'NONE';

/**
 * The label of calls whose status could not be read: no grpc-status, yet nothing says the call failed
 * (not reset, no HTTP error): the trailers were lost to a gap or to HPACK state from before the capture,
 * or had not come when the capture ended. Counted apart, never as errors.
 */
export const STATUS_UNKNOWN = 'STATUS_UNKNOWN';

/**
 * What a call record says of its outcome, for every aggregate (stats, reports):
 *  - `ok`: grpc-status 0;
 *  - `error`: any other grpc-status; or none, and the stream was reset (RST_STREAM, GOAWAY) or the
 *    response was an HTTP error (a proxy's 503): the client saw a failure;
 *  - `unknown`: no grpc-status and none of those: the status could not be read (see STATUS_UNKNOWN).
 */
export type CallOutcome = 'ok' | 'error' | 'unknown';
export function callOutcome(c: { status: number | null; reset: string | null; http_status: number | null }): CallOutcome {
  if (c.status !== null) return c.status === 0 ? 'ok' : 'error';
  if (c.reset !== null) return 'error';
  if (c.http_status !== null && c.http_status !== 200) return 'error';
  return 'unknown';
}

/** The label a call is counted under in aggregates: statusLabel, or STATUS_UNKNOWN when it could not be read. */
export function outcomeLabel(c: { status: number | null; status_name: string | null; reset: string | null; http_status: number | null }): string {
  return c.status === null && callOutcome(c) === 'unknown' ? STATUS_UNKNOWN : statusLabel(c.status, c.status_name);
}
export function statusLabel(status: number | null, statusName: string | null): string {
  if (statusName) return statusName;
  if (status === null) return NO_STATUS;
  return GRPC_STATUS_NAMES[status] ?? String(status);
}
