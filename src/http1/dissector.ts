/**
 * HTTP/1.1's entry in the detector (../detect/): a connection whose captured start is an HTTP/1.x request
 * line (or, the request not captured, a status line). A request that asks for `Upgrade: h2c` is left to the
 * HTTP/2 layer, which follows the upgrade. A connection joined in its middle is not claimed: where a message
 * starts there is not known.
 */
import type { Claim, DetectView, Dissector } from '../detect/types';
import type { Direction } from '../tcp/types';
import { Http1ConnectionHandler, type Http1Counters } from './connection';
import type { Http2Sink } from '../http2/types';

const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20} [\x21-\x7e]+ HTTP\/1\.[01]\r?\n/;
const STATUS_LINE = /^HTTP\/1\.[01] [0-9]{3}[ \r\n]/;
/** What a start line may begin with: a token character or "H" of HTTP. */
const TOKEN_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]/;
/** A request line longer than this is not taken for one. */
const MAX_START_LINE = 8192;

type Looks = 'request' | 'response' | 'no' | 'more';

function looks(head: Uint8Array, final: boolean): Looks {
  if (head.length === 0) return final ? 'no' : 'more';
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, MAX_START_LINE)).toString('latin1');
  if (!TOKEN_START.test(text)) return 'no';
  if (STATUS_LINE.test(text)) return 'response';
  const nl = text.indexOf('\n');
  if (nl < 0) return final || text.length >= MAX_START_LINE ? 'no' : 'more';
  if (!REQUEST_LINE.test(text)) return 'no';
  // The HTTP/2 layer follows `Upgrade: h2c`; it needs the head to tell.
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return final ? 'request' : 'more';
  return /^upgrade:[^\r\n]*\bh2c\b/im.test(text.slice(0, end)) ? 'no' : 'request';
}

function probe(view: DetectView): Claim {
  if (!view.conn.synSeen) return 'no';
  let more = false;
  for (const d of [0, 1] as Direction[]) {
    if (view.startLost[d] || view.head(d).length === 0) continue;
    const l = looks(view.head(d), view.final);
    if (l === 'request' || l === 'response') return 'yes';
    // The server of HTTP/1.x never speaks first: bytes that are not HTTP/1 in either direction rule it out.
    if (l === 'no') return 'no';
    more = true;
  }
  if (view.head(0).length === 0 && view.head(1).length === 0) more = true;
  return more && !view.final ? 'more' : 'no';
}

/** Which direction is the client's: the one that begins with a request line (or the other of a status line). */
function clientOf(view: DetectView): Direction {
  for (const d of [0, 1] as Direction[]) {
    const l = looks(view.head(d), true);
    if (l === 'request') return d;
    if (l === 'response') return (1 - d) as Direction;
  }
  return 0;
}

export function http1Dissector(sink: Http2Sink, counters: Http1Counters): Dissector {
  return {
    name: 'http1',
    probe,
    create: (conn, view) => new Http1ConnectionHandler(conn, clientOf(view), sink, counters),
  };
}
