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
 *   --min-duration/--max-duration DURATION  calls by `duration_ms` (inclusive; calls without an end do not
 *                   match); messages follow their call.
 *   --call TCP_STREAM/STREAM  one call (repeatable, comma-separated): its `call_id`, on calls and messages.
 *   -Y, --display-filter EXPR  Wireshark's display filter language over the record fields (./expr.ts).
 *
 * Different flags combine with AND. Status and duration are only known when a call ends, so `matchMessage`
 * ignores them (and the parts of -Y that read call fields); a consumer of messages that honours them joins
 * each message with its call (./join.ts) and asks `matchMessageWithCall`.
 *
 * The filter also notes what it was shown (methods, statuses, servers, durations: bounded), so that a filter
 * that matched nothing can say what was there (`noMatchReport`).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { parseIsoTimeNs } from '../records/time';
import type { CallRecord, MessageRecord } from '../records/types';
import { parseDuration } from '../units';
import { compileDisplayFilter, type DisplayFilter } from './expr';
import { parseEndpoint, parseHostFilter, parseMethodGlobs, parsePorts, parseSize, parseStatusList, parseTime, type HostFilter, type StatusFilter } from './parse';
import { FilterWitness } from './witness';

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
  minDuration?: string;
  maxDuration?: string;
  call?: string[];
  displayFilter?: string;
}

/** What a consumer reads, for the checks that depend on it. */
export interface FilterUse {
  /** The consumer reads call records only (stats, export --records calls): -Y may not read message fields. */
  callsOnly?: boolean;
}

export interface RecordFilter {
  /** Some filter is set (when false every match* returns true). */
  readonly active: boolean;
  /** A message can only be judged with its call (--status, durations, -Y on call fields): join them, as ./join.ts does. */
  readonly needsCall: boolean;
  /** The display filter, when -Y was given. */
  readonly display: DisplayFilter | null;
  matchCall(c: CallRecord): boolean;
  /** What a message can be judged on alone (see the module comment). */
  matchMessage(m: MessageRecord): boolean;
  /** The rest, once its call `c` is known: status, durations, -Y with the call's fields. */
  matchMessageWithCall(m: MessageRecord, c: CallRecord): boolean;
  /**
   * A call and its messages, for views that show them together (decode's text and JSON): the messages to
   * show, or undefined to leave the call out. The flags judge the call; -Y keeps a call that it matches or
   * one of whose messages it matches, with the messages it matches.
   */
  matchGroup(c: CallRecord, messages: MessageRecord[]): MessageRecord[] | undefined;
  /** Only --host and --port (split works on connections). */
  matchConnection(client: string, server: string): boolean;
  /** One line when the filter matched nothing though there were calls, saying what was there; else null. */
  noMatchReport(): string | null;
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
    .option('--until <time>', 'only records before TIME')
    .option('--min-duration <duration>', 'only calls that lasted at least DURATION (100ms, 1.5s, 2m); their messages too')
    .option('--max-duration <duration>', 'only calls that lasted at most DURATION')
    .option('--call <id>', 'only the call TCP_STREAM/STREAM (its call_id, e.g. 0/3; repeatable) and its messages', collect)
    .option('-Y, --display-filter <expr>', 'Wireshark-style display filter over record fields, e.g. \'status != 0 && duration_ms > 100\'');
}

function parseCallIds(values: string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values.flatMap((x) => x.split(','))) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
    if (!m) throw new UsageError(`--call: ${JSON.stringify(v.trim())} is not TCP_STREAM/STREAM (a call_id such as 0/3)`);
    out.add(`${Number(m[1])}/${Number(m[2])}`);
  }
  return out;
}

function callIdOf(r: { tcp_stream: number; stream: number; call_id?: string }): string {
  return r.call_id ?? `${r.tcp_stream}/${r.stream}`;
}

/**
 * Builds the filter from parsed flags (a subcommand's whole `opts()` will do: other flags are ignored); a bad
 * value throws UsageError with one line naming the flag.
 */
export function filterFromOptions(flags: FilterOptions | object, use: FilterUse = {}): RecordFilter {
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
  const minDuration = opts.minDuration !== undefined ? parseDuration(opts.minDuration, '--min-duration') * 1000 : null;
  const maxDuration = opts.maxDuration !== undefined ? parseDuration(opts.maxDuration, '--max-duration') * 1000 : null;
  const callIds = opts.call && opts.call.length > 0 ? parseCallIds(opts.call) : null;
  const display = opts.displayFilter !== undefined ? compileDisplayFilter(opts.displayFilter) : null;
  if (display !== null && use.callsOnly && display.messageOnly !== null) {
    throw new UsageError(`-Y: ${display.messageOnly} is a field of message records; this command reads call records (use decode or export --records messages)`);
  }

  const hasConnection = hosts !== null || ports !== null;
  // The last endpoints seen, parsed: records of one connection come in runs, so this saves most parses.
  let lastEndpoint = '';
  let lastParsed = { addr: '', port: null as number | null }; // parseEndpoint(''), without compiling isIP's regexes
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
  const matchDuration = (c: CallRecord) =>
    (minDuration === null && maxDuration === null) ||
    (c.duration_ms !== null && (minDuration === null || c.duration_ms >= minDuration) && (maxDuration === null || c.duration_ms <= maxDuration));
  const matchCallId = (r: { tcp_stream: number; stream: number; call_id?: string }) => callIds === null || callIds.has(callIdOf(r));
  /** The parts of a call that its messages follow: known only at its end. */
  const matchOutcome = (c: CallRecord) =>
    (status === null || status.match(c.status)) && matchDuration(c) && (protocols === null || protocols.has(c.protocol ?? 'grpc'));
  const displayNeedsCall = display !== null && display.needsCall;

  const flagsMatchCall = (c: CallRecord) =>
    matchMethod(c.method) &&
    matchConnection(c.client, c.server) &&
    matchCallId(c) &&
    matchOutcome(c) &&
    matchSize(c.request_bytes + c.response_bytes) &&
    matchTime(c.start);
  const flagsMatchMessage = (m: MessageRecord) =>
    matchMethod(m.method) && matchConnection(m.client, m.server) && matchCallId(m) && matchSize(m.length) && matchTime(m.ts);

  const witness = new FilterWitness();
  let callsMatched = 0;
  let messagesMatched = 0;
  const counted = (ok: boolean, isCall: boolean): boolean => {
    if (ok) {
      if (isCall) callsMatched++;
      else messagesMatched++;
    }
    return ok;
  };

  const active =
    globs !== null || hasConnection || status !== null || minSize !== null || maxSize !== null || since !== null || until !== null ||
    minDuration !== null || maxDuration !== null || callIds !== null || display !== null || protocols !== null;
  const needsCall = status !== null || minDuration !== null || maxDuration !== null || protocols !== null || displayNeedsCall;
  return {
    active,
    needsCall,
    display,
    matchConnection,
    matchMessage(m) {
      if (!active) return true;
      const ok = flagsMatchMessage(m) && (display === null || displayNeedsCall || display.match(m));
      // A message that still waits for its call is counted as matched only once the call has judged it.
      return needsCall ? ok : counted(ok, false);
    },
    matchMessageWithCall(m, c) {
      return counted(matchOutcome(c) && (display === null || !displayNeedsCall || display.match(m, c)), false);
    },
    matchCall(c) {
      // No filter: nothing to judge, nothing to witness (stats asks for every call of a large capture).
      if (!active) return true;
      witness.call(c);
      return counted(flagsMatchCall(c) && (display === null || display.match(c)), true);
    },
    matchGroup(c, messages) {
      if (!active) return messages;
      witness.call(c);
      if (!flagsMatchCall(c)) return undefined;
      const kept = messages.filter((m) => flagsMatchMessage(m) && (display === null || display.match(m, c)));
      if (display !== null && kept.length === 0 && !display.match(c)) return undefined;
      callsMatched++;
      messagesMatched += kept.length;
      return kept;
    },
    noMatchReport() {
      if (!active || callsMatched > 0 || messagesMatched > 0 || witness.calls === 0) return null;
      return witness.report({
        method: opts.method,
        status: statusText,
        minDuration: opts.minDuration,
        maxDuration: opts.maxDuration,
        call: opts.call,
        host: opts.host,
        port: opts.port?.map(String),
        minSize: opts.minSize !== undefined ? String(opts.minSize) : undefined,
        maxSize: opts.maxSize !== undefined ? String(opts.maxSize) : undefined,
        since: opts.since !== undefined ? String(opts.since) : undefined,
        until: opts.until !== undefined ? String(opts.until) : undefined,
        display: opts.displayFilter,
        displayFields: display?.fields,
      });
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
