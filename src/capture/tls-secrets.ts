/**
 * `grpctk capture --tls-keylog FILE`: follow the key log the applications append to while the capture runs,
 * and write the secrets of each captured TLS connection into the pcapng as Decryption Secrets Blocks, so the
 * file decrypts on its own (in grpctk and in Wireshark).
 *
 * Wireshark applies a DSB only to the handshakes that come after it in the file (measured with tshark
 * 4.0.17: a DSB placed after a connection's ServerHello decrypts nothing of it). An application writes its
 * secrets only once its handshake is under way, so the packets of the capture wait, from a ClientHello whose
 * secrets are not known yet, until those secrets appear in the key log: then the DSB is written, and the
 * packets after it. The wait is bounded (TLS_HOLD_MAX_MS, TLS_HOLD_MAX_BYTES); past a bound the packets go
 * out as they are and the connection is counted as "secrets late". Packets keep their capture order, and
 * `-w -` stays a live stream, only delayed by at most TLS_HOLD_MAX_MS.
 *
 * Only the secrets of connections whose ClientHello was captured are written: a key log often holds the
 * secrets of every connection an application ever made.
 */
import * as fs from 'fs';
import { clientHelloRandom, KeyLog, type ConnectionSecrets } from '../tls/keylog';
import { PacketDecoder } from '../net/decode';
import type { LivePacket } from './batch';

/** How often the key log is read while packets wait (it is also read at every batch of packets). */
export const KEYLOG_POLL_MS = 50;
/** Longest time packets wait for a connection's secrets to appear in the key log. */
export const TLS_HOLD_MAX_MS = 3000;
/** Most packet bytes held while waiting; past it every held packet is written at once. */
export const TLS_HOLD_MAX_BYTES = 32 * 1024 * 1024;
/** Connections whose secrets are repeated at the start of each new ring file (the most recent ones). */
export const MAX_RING_SECRET_CONNECTIONS = 10_000;

/** Reads what an application appends to a key log file; the file may not exist yet, or be truncated. */
export class KeylogFollower {
  readonly keys = new KeyLog();
  /** Key log lines by client random (hex), as normalised by KeyLog. */
  readonly lines = new Map<string, string[]>();
  /** Lines added by the latest poll(). */
  private fresh: string[] = [];
  private offset = 0;
  private partial = '';
  badLines = 0;

  constructor(readonly path: string) {
    this.keys.onSecretLine = (line) => {
      const random = line.split(' ')[1];
      let list = this.lines.get(random);
      if (list === undefined) this.lines.set(random, (list = []));
      list.push(line);
      this.fresh.push(line);
    };
  }

  /** Reads what was appended since the last call; returns the new secret lines. */
  poll(): string[] {
    this.fresh = [];
    let size: number;
    try {
      size = fs.statSync(this.path).size;
    } catch {
      return this.fresh; // not there (yet): applications create it at their first connection
    }
    if (size < this.offset) {
      // Truncated or replaced: read it again from the start (known secrets are not repeated).
      this.offset = 0;
      this.partial = '';
    }
    if (size === this.offset) return this.fresh;
    let fd = -1;
    try {
      fd = fs.openSync(this.path, 'r');
      const buf = Buffer.alloc(Math.min(size - this.offset, 16 * 1024 * 1024));
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (this.keys.addLine(l) === 'bad') this.badLines++;
    } catch {
      // Unreadable for now (permissions changing, a rename): try again at the next poll.
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
    return this.fresh;
  }
}

/** Whether a connection's secrets are all there: TLS 1.2's master secret, or TLS 1.3's four traffic secrets. */
export function secretsComplete(s: ConnectionSecrets | undefined): boolean {
  if (s === undefined) return false;
  if (s.masterSecret !== undefined) return true;
  return s.clientHandshake !== undefined && s.serverHandshake !== undefined && s.clientTraffic0 !== undefined && s.serverTraffic0 !== undefined;
}

export interface SecretsOutput {
  packet(p: LivePacket): void;
  secrets(lines: string): void;
}

export interface TlsCaptureCounters {
  /** ClientHellos seen. */
  connections: number;
  /** Connections whose secrets were written into the capture. */
  withSecrets: number;
  /** Connections the packets waited for. */
  waited: number;
  /** Connections whose secrets were not complete when the wait ended (time or byte limit, or the end). */
  late: number;
}

interface Held {
  p: LivePacket;
  /** The client random of the ClientHello this packet carries, or null. */
  random: string | null;
}

/** Sits between the packets of a capture and its pcapng output (see the module comment). */
export class TlsSecretsInCapture {
  readonly counters: TlsCaptureCounters = { connections: 0, withSecrets: 0, waited: 0, late: 0 };
  private readonly net = new PacketDecoder();
  private queue: Held[] = [];
  private queueHead = 0;
  private heldBytes = 0;
  /** Client randoms waited for, with the time the wait ends (ms). */
  private readonly pending = new Map<string, number>();
  /** Client randoms seen in the capture, with how many of their key log lines were written. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly follower: KeylogFollower,
    private readonly out: SecretsOutput,
    private readonly linkType: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether packets are waiting (the caller keeps polling). */
  get holding(): boolean {
    return this.queue.length > this.queueHead;
  }

  packet(p: LivePacket): void {
    const random = this.clientRandom(p);
    if (random !== null) this.helloSeen(random);
    if (!this.holding && (random === null || !this.pending.has(random))) {
      this.out.packet(p);
      return;
    }
    // Held: the packet must outlive the batch it came in.
    const copy: LivePacket = { tsSec: p.tsSec, tsNsec: p.tsNsec, originalLength: p.originalLength, data: p.data.slice() };
    this.queue.push({ p: copy, random });
    this.heldBytes += copy.data.length;
    if (this.heldBytes > TLS_HOLD_MAX_BYTES) this.release(true);
  }

  /** Read the key log, write the new secrets of captured connections, and let out what no longer waits. */
  poll(): void {
    this.follower.poll();
    this.writeNewSecrets();
    this.release(false);
  }

  /** End of capture: the last secrets, then every held packet. */
  finish(): void {
    this.follower.poll();
    this.writeNewSecrets();
    this.release(true);
  }

  /** The secrets of the most recent connections of the capture, for the start of a new ring file. */
  secretsSoFar(): string {
    const lines: string[] = [];
    let skip = Math.max(0, this.seen.size - MAX_RING_SECRET_CONNECTIONS);
    for (const random of this.seen.keys()) {
      if (skip > 0) { skip--; continue; }
      const l = this.follower.lines.get(random);
      if (l) lines.push(...l);
    }
    return lines.length > 0 ? lines.join('\n') + '\n' : '';
  }

  private helloSeen(random: string): void {
    if (!this.seen.has(random)) {
      this.counters.connections++;
      this.seen.set(random, 0);
    }
    // Secrets already in the key log go in now, before the ClientHello.
    this.follower.poll();
    this.writeNewSecrets();
    if (!secretsComplete(this.follower.keys.lookup(Buffer.from(random, 'hex'))) && !this.pending.has(random)) {
      this.pending.set(random, this.now() + TLS_HOLD_MAX_MS);
      this.counters.waited++;
    }
  }

  private writeNewSecrets(): void {
    let text = '';
    for (const [random, written] of this.seen) {
      const lines = this.follower.lines.get(random);
      if (lines === undefined || lines.length === written) continue;
      if (written === 0) this.counters.withSecrets++;
      text += lines.slice(written).join('\n') + '\n';
      this.seen.set(random, lines.length);
    }
    if (text.length > 0) this.out.secrets(text);
  }

  /** Write held packets up to the first ClientHello still waiting (all of them when `all`). */
  private release(all: boolean): void {
    const now = this.now();
    for (const [random, deadline] of this.pending) {
      const done = secretsComplete(this.follower.keys.lookup(Buffer.from(random, 'hex')));
      if (done || all || now >= deadline) {
        if (!done) this.counters.late++;
        this.pending.delete(random);
      }
    }
    while (this.queueHead < this.queue.length) {
      const h = this.queue[this.queueHead];
      if (h.random !== null && this.pending.has(h.random)) break;
      this.queue[this.queueHead++] = undefined as unknown as Held;
      this.heldBytes -= h.p.data.length;
      this.out.packet(h.p);
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
  }

  /** The client random of a TLS ClientHello starting this packet's TCP payload, as hex; else null. */
  private clientRandom(p: LivePacket): string | null {
    const seg = this.net.decode({
      number: 0,
      interfaceId: 0,
      linkType: this.linkType,
      tsSec: p.tsSec,
      tsNsec: p.tsNsec,
      capturedLength: p.data.length,
      originalLength: p.originalLength,
      data: p.data,
    });
    return seg === undefined ? null : clientHelloRandom(seg.payload);
  }
}
