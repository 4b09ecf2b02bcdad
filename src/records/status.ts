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
export function statusLabel(status: number | null, statusName: string | null): string {
  if (statusName) return statusName;
  if (status === null) return NO_STATUS;
  return GRPC_STATUS_NAMES[status] ?? String(status);
}
