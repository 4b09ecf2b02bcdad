/**
 * The NSS key log format (SSLKEYLOGFILE): what browsers, curl, Go's `tls.Config.KeyLogWriter`, Node's
 * `keylog` event and `--tls-keylog`, and OpenSSL/BoringSSL's keylog callbacks write, and what Wireshark reads
 * from `tls.keylog_file` and from a pcapng Decryption Secrets Block of type TLS.
 *
 * One secret per line: `<label> <client random, 64 hex digits> <secret, hex>`; lines starting with `#` are
 * comments; blank lines and CRLF line ends are allowed. Labels (https://udn.realityripple.com/docs/Mozilla/
 * Projects/NSS/Key_Log_Format, draft-ietf-tls-keylogfile):
 *   CLIENT_RANDOM                    TLS 1.2 and earlier: the 48-octet master secret
 *   CLIENT_EARLY_TRAFFIC_SECRET      TLS 1.3 (RFC 8446 §7.1) client_early_traffic_secret
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET  client_handshake_traffic_secret
 *   SERVER_HANDSHAKE_TRAFFIC_SECRET  server_handshake_traffic_secret
 *   CLIENT_TRAFFIC_SECRET_0          client_application_traffic_secret_0
 *   SERVER_TRAFFIC_SECRET_0          server_application_traffic_secret_0
 *   EXPORTER_SECRET, EARLY_EXPORTER_SECRET   exporter secrets (not needed to decrypt; accepted)
 * The secrets are keyed by the ClientHello's random, which every TLS connection sends in the clear.
 *
 * A key log is sensitive: nothing here ever prints a secret; a bad line is reported by its number only.
 */
import * as fs from 'fs';
import { UsageError } from '../errors';

/** The secrets of one TLS connection (one client random), as found in key logs. */
export interface ConnectionSecrets {
  /** TLS 1.2: master secret. */
  masterSecret?: Uint8Array;
  clientEarly?: Uint8Array;
  clientHandshake?: Uint8Array;
  serverHandshake?: Uint8Array;
  clientTraffic0?: Uint8Array;
  serverTraffic0?: Uint8Array;
}

type SecretField = keyof ConnectionSecrets;

/** Label → field; `null` for labels that are valid but not needed to decrypt. */
const LABELS: Record<string, SecretField | null> = {
  CLIENT_RANDOM: 'masterSecret',
  CLIENT_EARLY_TRAFFIC_SECRET: 'clientEarly',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshake',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshake',
  CLIENT_TRAFFIC_SECRET_0: 'clientTraffic0',
  SERVER_TRAFFIC_SECRET_0: 'serverTraffic0',
  EXPORTER_SECRET: null,
  EARLY_EXPORTER_SECRET: null,
};

/**
 * Largest number of connections (client randoms) kept from key logs and DSBs; past it further secrets are
 * counted as dropped (KeyLog.dropped) and the summary says so. A key log line is about 180 bytes: 1,000,000
 * connections is some 200 MiB of key log text.
 */
export const MAX_KEYLOG_CONNECTIONS = 1_000_000;

/** What reading one key log text found, for the summary (never the secrets). */
export interface KeyLogReport {
  /** Where the text came from: a file name, or "a DSB". */
  source: string;
  /** Lines that held a secret that was kept. */
  secrets: number;
  /** Lines that are neither a comment, a blank line, nor `<label> <64 hex> <hex>` with a known label. */
  badLines: number;
  /** Line number (from 1) of the first bad line. */
  firstBadLine: number;
  /** Lines with a well-formed but unknown label (a newer format): skipped. */
  unknownLabels: number;
}

export class KeyLog {
  private readonly byRandom = new Map<string, ConnectionSecrets>();
  /** Secrets not kept because MAX_KEYLOG_CONNECTIONS was reached. */
  dropped = 0;
  readonly reports: KeyLogReport[] = [];
  /** Called with each line that added a secret (the capture writer copies them into DSBs). */
  onSecretLine: ((line: string) => void) | null = null;

  get size(): number {
    return this.byRandom.size;
  }

  /** The secrets for a ClientHello random (32 octets), or undefined. */
  lookup(clientRandom: Uint8Array): ConnectionSecrets | undefined {
    return this.byRandom.get(hex(clientRandom));
  }

  /** The key log lines known for a client random (hex), to copy into a capture's DSB; [] when none. */
  linesFor(clientRandomHex: string): string[] {
    const entry = this.byRandom.get(clientRandomHex);
    if (entry === undefined) return [];
    const out: string[] = [];
    for (const [label, field] of Object.entries(LABELS)) {
      const v = field === null ? undefined : entry[field];
      if (v !== undefined) out.push(`${label} ${clientRandomHex} ${hex(v)}`);
    }
    return out;
  }

  /** Whether any secret is known for this client random. */
  has(clientRandomHex: string): boolean {
    return this.byRandom.has(clientRandomHex);
  }

  /** Read a whole key log text (a file's contents, or a DSB's secrets); returns what it found. */
  addText(text: string, source: string): KeyLogReport {
    const report: KeyLogReport = { source, secrets: 0, badLines: 0, firstBadLine: 0, unknownLabels: 0 };
    let lineNo = 0;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      lineNo++;
      const outcome = this.addLine(text.slice(start, end));
      if (outcome === 'secret') report.secrets++;
      else if (outcome === 'unknown') report.unknownLabels++;
      else if (outcome === 'bad') {
        report.badLines++;
        if (report.firstBadLine === 0) report.firstBadLine = lineNo;
      }
      start = end + 1;
    }
    this.reports.push(report);
    return report;
  }

  /**
   * One line (without its LF; a trailing CR is allowed). 'secret' when it was kept (or was already known),
   * 'skip' for a comment, a blank line or an exporter secret, 'unknown' for an unknown label, 'bad' otherwise.
   */
  addLine(raw: string): 'secret' | 'skip' | 'unknown' | 'bad' {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed.length === 0 || trimmed.startsWith('#')) return 'skip';
    const parts = trimmed.split(/[ \t]+/);
    if (parts.length !== 3) return 'bad';
    const [label, randomHex, secretHex] = parts;
    if (!/^[0-9A-Fa-f]{64}$/.test(randomHex)) return 'bad';
    // Secrets are 32 to 64 octets (hash sizes, the 48-octet master secret); allow 16 to 128.
    if (!/^(?:[0-9A-Fa-f]{2}){16,128}$/.test(secretHex)) return 'bad';
    if (!/^[A-Z0-9_]+$/.test(label)) return 'bad';
    if (!(label in LABELS)) return 'unknown';
    const field = LABELS[label];
    if (field === null) return 'skip';
    const key = randomHex.toLowerCase();
    let entry = this.byRandom.get(key);
    if (entry === undefined) {
      if (this.byRandom.size >= MAX_KEYLOG_CONNECTIONS) {
        this.dropped++;
        return 'secret';
      }
      entry = {};
      this.byRandom.set(key, entry);
    }
    if (entry[field] === undefined) {
      entry[field] = Buffer.from(secretHex, 'hex');
      this.onSecretLine?.(`${label} ${key} ${secretHex.toLowerCase()}`);
    }
    return 'secret';
  }

  /** Summary lines about the key logs read (bad lines, unknown labels, the connection limit). */
  warnings(): string[] {
    const out: string[] = [];
    for (const r of this.reports) {
      if (r.badLines > 0) {
        out.push(`TLS key log ${r.source}: ${r.badLines} ${r.badLines === 1 ? 'line' : 'lines'} not understood (first: line ${r.firstBadLine}), skipped`);
      }
      if (r.unknownLabels > 0) out.push(`TLS key log ${r.source}: ${r.unknownLabels} ${r.unknownLabels === 1 ? 'line' : 'lines'} with an unknown label, skipped`);
    }
    if (this.dropped > 0) out.push(`TLS key logs: secrets of more than ${MAX_KEYLOG_CONNECTIONS.toLocaleString('en-US')} connections (MAX_KEYLOG_CONNECTIONS): ${this.dropped} not kept`);
    return out;
  }
}

/** The key log files of --tls-keylog, read whole (they are small: some 180 bytes per connection). */
export async function readKeyLogFiles(files: readonly string[], keys: KeyLog = new KeyLog()): Promise<KeyLog> {
  for (const file of files) {
    let text: string;
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`--tls-keylog ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'}`);
    }
    keys.addText(text, file);
  }
  return keys;
}

/** The client random (hex) of a ClientHello that starts `b` (a TLS byte stream or a TCP payload), else null. */
export function clientHelloRandom(b: Uint8Array): string | null {
  // Record header (handshake, 3.x), handshake header (client_hello), legacy_version, then the random.
  if (b.length < 43 || b[0] !== 22 || b[1] !== 3 || b[5] !== 1) return null;
  return hex(b.subarray(11, 43));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}
