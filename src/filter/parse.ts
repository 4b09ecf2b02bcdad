/**
 * Parsers for filter flag values (see ./index.ts for their meaning). Each bad value throws UsageError with
 * one line naming the flag, the value and what was expected.
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors';
import { parseSize as parseSizeText } from '../units';
import { GRPC_STATUS_NAMES, grpcStatusCode, NO_STATUS } from '../records/status';
import { parseIsoTimeNs } from '../records/time';

/** `*` any run of characters, `?` one character, everything else literal; anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}

export function parseMethodGlobs(globs: string[]): RegExp[] {
  return globs
    .flatMap((g) => g.split(','))
    .map((g) => g.trim())
    .map((g) => {
      if (g.length === 0) throw new UsageError('--method: empty pattern (expected a method path glob such as /pkg.Service/*)');
      return globToRegExp(/^[/*?]/.test(g) ? g : '/' + g);
    });
}

export interface Endpoint {
  /** Canonical address text: IPv4 dotted, IPv6 compressed lower case without brackets. */
  addr: string;
  port: number | null;
}

/** Canonical text of an IP address (IPv6 compressed as RFC 5952 recommends), or null when not an address. */
export function canonicalAddress(addr: string): string | null {
  const kind = isIP(addr);
  if (kind === 4) return addr;
  if (kind === 6) {
    // WHATWG URL parsing serializes IPv6 hosts in RFC 5952 form (compressed, lower case).
    try {
      return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * A record's `client`/`server` (`ip:port`, IPv6 in brackets) as address and port. Text that is not an
 * endpoint gives its whole self as the address and no port, so it simply matches no filter.
 */
export function parseEndpoint(s: string): Endpoint {
  let addr = s;
  let port: number | null = null;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close > 0) {
      addr = s.slice(1, close);
      if (s[close + 1] === ':') port = toPort(s.slice(close + 2));
    }
  } else {
    const colon = s.lastIndexOf(':');
    if (colon > 0 && s.indexOf(':') === colon) {
      addr = s.slice(0, colon);
      port = toPort(s.slice(colon + 1));
    }
  }
  return { addr: canonicalAddress(addr) ?? addr, port };
}

function toPort(s: string): number | null {
  if (!/^\d{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

export type HostFilter = Endpoint;

/** `--host` value(s): ADDR, ADDR:PORT, [IPV6]:PORT or bare IPv6, comma-separated. */
export function parseHostFilter(value: string): HostFilter[] {
  return value.split(',').map((raw) => {
    const v = raw.trim();
    let addr = v;
    let port: number | null = null;
    let portText: string | null = null;
    if (v.startsWith('[')) {
      const close = v.indexOf(']');
      if (close < 0) throw hostError(v);
      addr = v.slice(1, close);
      const rest = v.slice(close + 1);
      if (rest.length > 0) {
        if (!rest.startsWith(':')) throw hostError(v);
        portText = rest.slice(1);
      }
    } else if (v.indexOf(':') >= 0 && v.indexOf(':') === v.lastIndexOf(':')) {
      addr = v.slice(0, v.indexOf(':'));
      portText = v.slice(v.indexOf(':') + 1);
    }
    if (portText !== null) {
      port = toPort(portText);
      if (port === null) throw new UsageError(`--host: bad port in ${JSON.stringify(v)} (expected 0-65535)`);
    }
    const canon = canonicalAddress(addr);
    if (canon === null) throw hostError(v);
    return { addr: canon, port };
  });
}

function hostError(v: string): UsageError {
  return new UsageError(`--host: ${JSON.stringify(v)} is not ADDR or ADDR:PORT (an IPv4 or IPv6 address; IPv6 with a port as [ADDR]:PORT)`);
}

export function parsePorts(value: number | string): number[] {
  if (typeof value === 'number') return [checkPort(String(value))];
  return value.split(',').map((p) => checkPort(p.trim()));
}

function checkPort(s: string): number {
  const n = toPort(s);
  if (n === null) throw new UsageError(`--port: ${JSON.stringify(s)} is not a port number (expected 0-65535)`);
  return n;
}

export interface StatusFilter {
  match(status: number | null): boolean;
}

/** `--status` LIST: numbers or names, `NONE` for no grpc-status, `!` to exclude. */
export function parseStatusList(text: string): StatusFilter {
  const include = new Set<number | null>();
  const exclude = new Set<number | null>();
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => s.length === 0)) throw new UsageError('--status: empty list (expected numbers or names such as OK,UNAVAILABLE or !OK)');
  for (const item of items) {
    if (item.length === 0) continue;
    const negated = item.startsWith('!');
    const word = negated ? item.slice(1).trim() : item;
    let code: number | null | undefined;
    if (/^\d+$/.test(word) && Number(word) <= 0x7fffffff) code = Number(word);
    else if (word.toUpperCase() === NO_STATUS) code = null;
    else code = grpcStatusCode(word);
    if (code === undefined) {
      throw new UsageError(
        `--status: unknown status ${JSON.stringify(word)} (expected a number or one of ${GRPC_STATUS_NAMES.join(', ')}, ${NO_STATUS})`,
      );
    }
    (negated ? exclude : include).add(code);
  }
  return {
    match(status) {
      if (include.size > 0 && !include.has(status)) return false;
      return !exclude.has(status);
    },
  };
}

/** A byte count as every size flag spells it (4096, 64k, 100MB, 64MiB: see src/units.ts). */
export function parseSize(value: number | string, flag: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new UsageError(`${flag}: ${value} is not a size`);
  }
  return parseSizeText(value, flag);
}

/** ISO-8601 (UTC unless an offset is given) or epoch seconds (decimals allowed), to epoch nanoseconds. */
export function parseTime(value: string | number, flag: string): bigint {
  const s = String(value).trim();
  const epoch = /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(s);
  if (epoch) return BigInt(epoch[1]) * 1_000_000_000n + BigInt((epoch[2] ?? '').padEnd(9, '0'));
  const t = parseIsoTimeNs(s);
  if (t === null) {
    throw new UsageError(`${flag}: ${JSON.stringify(s)} is not a time (expected ISO-8601 like 2026-11-21T03:39:12Z or epoch seconds)`);
  }
  return t;
}
