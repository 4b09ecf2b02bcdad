/**
 * The shared record filters of decode, stats, export and split: one set of flags, one meaning everywhere.
 * Filters read only record fields (../records/types.ts), so they work the same on a capture and on NDJSON.
 *
 *   --method GLOB   full method path; `*` any run of characters (slashes included), `?` one character;
 *                   repeatable, a record matches any. A glob that does not start with `/`, `*` or `?` gets a
 *                   leading `/`, so `helloworld.Greeter/*` means `/helloworld.Greeter/*`.
 *   --host ADDR[:PORT]  either end of the connection (client or server); IPv6 in brackets when a port is
 *                   given (`[::1]:50051`); repeatable and comma-separated, a record matches any.
 *   --port N        either end; repeatable and comma-separated, a record matches any.
 *   --status LIST   comma-separated numbers or names (OK, UNAVAILABLE, case-insensitive; NONE for no
 *                   grpc-status); `!NAME` excludes. A call matches when its status is in the plain entries
 *                   (if any) and in none of the `!` ones: `!OK` is every call that did not end OK, calls
 *                   without a status included.
 *   --min-size/--max-size SIZE  bytes, `k`, `m`, `g` suffixes are binary (1k = 1024); inclusive. For a
 *                   message its `length`; for a call all its message bytes (request_bytes + response_bytes),
 *                   the only size a call record carries.
 *   --protocol LIST  comma-separated: grpc, grpc-web, grpc-web-text, connect (`grpc-web` also matches
 *                   grpc-web-text); repeatable. Like --status it is a call's field: messages are joined with
 *                   their call.
 *   --since/--until TIME  ISO-8601 (no offset = UTC) or epoch seconds; a message by its `ts`, a call by its
 *                   `start`; since is inclusive, until exclusive, as editcap's -A and -B.
 *
 * Different flags combine with AND. Status is only known when a call ends, so `matchMessage` ignores it; a
 * consumer of messages that honours --status joins each message with its call (./join.ts).
 */
import type { Command } from 'commander';
import { parseIsoTimeNs } from '../records/time';
import { UsageError } from '../errors';
import type { CallRecord, MessageRecord } from '../records/types';
import { parseEndpoint, parseHostFilter, parseMethodGlobs, parsePorts, parseSize, parseStatusList, parseTime, type HostFilter, type StatusFilter } from './parse';

/** Filter values as parsed (or as given: strings are parsed by filterFromOptions). */
export interface FilterOptions {
  method?: string[];
  host?: string[];
  port?: Array<number | string>;
  status?: string | string[];
  protocol?: string[];
  minSize?: number | string;
  maxSize?: number | string;
  since?: string | number;
  until?: string | number;
}

export interface RecordFilter {
  /** Some filter is set (when false every match* returns true). */
  readonly active: boolean;
  /** A message can only be judged with its call (--status is set): join them, as ./join.ts does. */
  readonly needsCall: boolean;
  matchCall(c: CallRecord): boolean;
  /** Method, host, port, size and time; not status (see the module comment). */
  matchMessage(m: MessageRecord): boolean;
  /** Only --status: used to pass a call's messages once the call is known. */
  matchCallStatus(c: CallRecord): boolean;
  /** Only --host and --port (split works on connections). */
  matchConnection(client: string, server: string): boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return previous ? [...previous, value] : [value];
}

/** Adds the shared filter flags to a subcommand. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--method <glob>', 'only calls whose method path matches GLOB (* and ?; repeatable)', collect)
    .option('--host <addr>', 'only connections with ADDR or ADDR:PORT at either end (IPv6 as [ADDR]:PORT; repeatable)', collect)
    .option('--port <n>', 'only connections with port N at either end (repeatable)', collect)
    .option('--status <list>', 'only calls with these statuses: numbers or names, comma-separated; !OK for failures', collect)
    .option('--protocol <list>', 'only calls that travelled as grpc, grpc-web (-text) or connect (comma-separated; repeatable)', collect)
    .option('--min-size <bytes>', 'only messages of at least BYTES (64k = 64,000, 64KiB = 65,536; calls: all their message bytes)')
    .option('--max-size <bytes>', 'only messages of at most BYTES')
    .option('--since <time>', 'only records at or after TIME (ISO-8601, UTC unless an offset is given, or epoch seconds)')
    .option('--until <time>', 'only records before TIME');
}

/**
 * Builds the filter from parsed flags (a subcommand's whole `opts()` will do: other flags are ignored); a bad
 * value throws UsageError with one line naming the flag.
 */
export function filterFromOptions(flags: FilterOptions | object): RecordFilter {
  const opts = flags as FilterOptions;
  const globs = opts.method && opts.method.length > 0 ? parseMethodGlobs(opts.method) : null;
  const hosts: HostFilter[] | null = opts.host && opts.host.length > 0 ? opts.host.flatMap(parseHostFilter) : null;
  const ports: Set<number> | null = opts.port && opts.port.length > 0 ? new Set(opts.port.flatMap((p) => parsePorts(p))) : null;
  const statusText = Array.isArray(opts.status) ? opts.status.join(',') : opts.status;
  const status: StatusFilter | null = statusText !== undefined ? parseStatusList(statusText) : null;
  const protocols = opts.protocol && opts.protocol.length > 0 ? parseProtocols(opts.protocol) : null;
  const minSize = opts.minSize !== undefined ? parseSize(opts.minSize, '--min-size') : null;
  const maxSize = opts.maxSize !== undefined ? parseSize(opts.maxSize, '--max-size') : null;
  const since = opts.since !== undefined ? parseTime(opts.since, '--since') : null;
  const until = opts.until !== undefined ? parseTime(opts.until, '--until') : null;

  const hasConnection = hosts !== null || ports !== null;
  // The last endpoints seen, parsed: records of one connection come in runs, so this saves most parses.
  let lastEndpoint = '';
  let lastParsed = parseEndpoint('');
  const endpoint = (s: string) => {
    if (s !== lastEndpoint) {
      lastEndpoint = s;
      lastParsed = parseEndpoint(s);
    }
    return lastParsed;
  };
  const matchConnection = (client: string, server: string): boolean => {
    if (!hasConnection) return true;
    const c = endpoint(client);
    const cAddr = c.addr;
    const cPort = c.port;
    const s = endpoint(server);
    if (ports !== null && !((cPort !== null && ports.has(cPort)) || (s.port !== null && ports.has(s.port)))) return false;
    if (hosts !== null) {
      const hit = hosts.some(
        (h) => (h.addr === cAddr && (h.port === null || h.port === cPort)) || (h.addr === s.addr && (h.port === null || h.port === s.port)),
      );
      if (!hit) return false;
    }
    return true;
  };
  const matchMethod = (method: string) => globs === null || globs.some((g) => g.test(method));
  const matchSize = (n: number) => (minSize === null || n >= minSize) && (maxSize === null || n <= maxSize);
  const matchTime = (ts: string) => {
    if (since === null && until === null) return true;
    const t = parseIsoTimeNs(ts);
    if (t === null) return false;
    return (since === null || t >= since) && (until === null || t < until);
  };
  const matchCallStatus = (c: CallRecord) =>
    (status === null || status.match(c.status)) && (protocols === null || protocols.has(c.protocol ?? 'grpc'));

  const active = globs !== null || hasConnection || status !== null || protocols !== null || minSize !== null || maxSize !== null || since !== null || until !== null;
  return {
    active,
    needsCall: status !== null || protocols !== null,
    matchConnection,
    matchCallStatus,
    matchMessage(m) {
      return matchMethod(m.method) && matchConnection(m.client, m.server) && matchSize(m.length) && matchTime(m.ts);
    },
    matchCall(c) {
      return (
        matchMethod(c.method) &&
        matchConnection(c.client, c.server) &&
        matchCallStatus(c) &&
        matchSize(c.request_bytes + c.response_bytes) &&
        matchTime(c.start)
      );
    },
  };
}

const PROTOCOLS = ['grpc', 'grpc-web', 'grpc-web-text', 'connect'];

/** `--protocol` values: known names only; `grpc-web` takes its text encoding along. */
function parseProtocols(values: string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values.flatMap((x) => x.split(','))) {
    const p = v.trim().toLowerCase();
    if (!PROTOCOLS.includes(p)) throw new UsageError(`--protocol: unknown protocol "${p}" (expected ${PROTOCOLS.join(', ')})`);
    out.add(p);
    if (p === 'grpc-web') out.add('grpc-web-text');
  }
  return out;
}

export { joinMessagesWithCalls, MAX_HELD_MESSAGES, type MessageCallJoin } from './join';
