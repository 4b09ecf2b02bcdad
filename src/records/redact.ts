/**
 * `--redact NAME` and `--redact-default`: header values masked in every record before anything reads them,
 * so no output (text, NDJSON, JSON, CSV, stats keys) can show them. Header names stay, so a reader still
 * sees that the header was sent. Names are compared in lower case (HTTP/2 sends them so, RFC 9113 §8.2.1).
 *
 * Some headers are also fields of their own, masked with them: `:authority` (authority), `grpc-message`
 * (grpc_message), `grpc-status-details-bin` (status_details).
 */
import type { CallRecord } from './types';

/** What a masked value reads. */
export const REDACTED = '<redacted>';

/** `--redact-default`: credentials and session tokens as common gRPC and HTTP services send them. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-goog-api-key',
  'x-auth-token',
  'x-csrf-token',
  'x-amz-security-token',
];

export type Redactor = (call: CallRecord) => CallRecord;

/** A function that returns the call with the named headers masked (the same object when none is present). */
export function makeRedactor(names: Iterable<string>): Redactor | null {
  const set = new Set([...names].map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0));
  if (set.size === 0) return null;
  const mask = (headers: Record<string, string>): Record<string, string> => {
    let out: Record<string, string> | null = null;
    for (const name of Object.keys(headers)) {
      if (set.has(name.toLowerCase())) {
        out ??= { ...headers };
        out[name] = REDACTED;
      }
    }
    return out ?? headers;
  };
  return (c) => {
    const request = mask(c.request_headers);
    const response = mask(c.response_headers);
    const trailers = mask(c.trailers);
    const authority = c.authority !== null && set.has(':authority');
    const message = c.grpc_message !== null && set.has('grpc-message');
    const details = c.status_details !== undefined && set.has('grpc-status-details-bin');
    if (request === c.request_headers && response === c.response_headers && trailers === c.trailers && !authority && !message && !details) return c;
    // A new object with the same keys in the same order: records are never modified on their way down.
    const out: CallRecord = { ...c, request_headers: request, response_headers: response, trailers };
    if (authority) out.authority = REDACTED;
    if (message) out.grpc_message = REDACTED;
    if (details) out.status_details = REDACTED;
    return out;
  };
}
