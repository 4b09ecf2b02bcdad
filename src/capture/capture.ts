/**
 * A live capture: libpcap (through ./native.ts) → batches → pcapng (../pcap/writer.ts) → a file, stdout or a
 * ring of files (./output.ts), until a count, a duration, SIGINT/SIGTERM or a closed pipe ends it.
 *
 * Every stop leaves a complete pcapng file: the packets libpcap still holds are drained (except after -c,
 * which wants exactly COUNT), then an Interface Statistics Block carries pcap_stats()'s received and dropped
 * counts. Errors reach the user as one line (GrpctkError), never as a stack trace.
 */
import * as fs from 'fs';
import * as os from 'os';
import { EXIT_INPUT, GrpctkError, UsageError } from '../errors';
import { version } from '../version';
import type { WriterInterface, WriterSection, WriterStatistics } from '../pcap/writer-api';
import { forEachPacket } from './batch';
import type { NativeBinding, NativeError, NativeHandle, NativeInterface, NativeStats } from './native';
import { OutputClosedError, PcapngOutput } from './output';
import { KEYLOG_POLL_MS, KeylogFollower, TlsSecretsInCapture, type TlsCaptureCounters } from './tls-secrets';

/** libpcap's and tcpdump's largest snapshot length, and the default: whole packets. */
export const MAXIMUM_SNAPLEN = 262144;

/**
 * libpcap's packet buffer timeout. With it (and not immediate mode) Linux uses TPACKET_V3: packets packed into
 * blocks that the kernel hands over when full or this old, so a busy link costs one wake-up per block, and a
 * quiet one still shows its packets within this time (`-w - | grpctk decode -` stays live). Immediate mode
 * would mean TPACKET_V2, one ring frame per packet sized for the snaplen: a 2 MiB buffer then holds a few
 * dozen packets and a burst is dropped.
 */
export const BUFFER_TIMEOUT_MS = 100;

/**
 * How long reading goes on after a stop by duration or signal: the kernel's block timer ticks every buffer
 * timeout, so two of them and a margin cover a timer that runs late on a busy machine.
 */
export const STOP_GRACE_MS = 2 * BUFFER_TIMEOUT_MS + 50;

/**
 * Batches read after a stop by duration or signal, to empty libpcap's buffer. Each holds at most about 4 MiB
 * (the binding's batch limit), so this bounds the final drain to about 64 MiB even if traffic never pauses.
 */
export const MAX_DRAIN_BATCHES = 16;

export interface CaptureOptions {
  /** Interface name as libpcap knows it (`lo`, `eth0`, `any`). */
  device: string;
  /** libpcap filter expression (pcap-filter(7)). */
  filter?: string;
  /** Bytes kept per packet; 0 or absent: MAXIMUM_SNAPLEN. */
  snaplen?: number;
  promisc?: boolean;
  /** Kernel buffer in bytes (absent: libpcap's default, 2 MiB on Linux). */
  bufferSize?: number;
  /** A file, or '-' for stdout. */
  output: string;
  /** Stop after this many packets. */
  count?: number;
  /** Stop after this many seconds. */
  durationSec?: number;
  ringSizeBytes?: number;
  ringFiles?: number;
  /** Stop on SIGINT and SIGTERM (default true). */
  handleSignals?: boolean;
  /** A TLS key log to follow: its secrets go into the capture as DSBs (./tls-secrets.ts). */
  tlsKeylog?: string;
}

export type StopReason = 'count' | 'duration' | 'signal' | 'closed' | 'stop';

export interface CaptureSummary {
  /** Packets written. */
  captured: number;
  /** pcap_stats() at the end: what the ISB says. */
  received: number;
  dropped: number;
  ifDropped: number;
  stoppedBy: StopReason;
  /** Files written (ring: every file, deleted ones included); empty for stdout. */
  files: string[];
  /** With --tls-keylog: what was done for TLS connections. */
  tls?: TlsCaptureCounters;
}

/** An open device, ready to run: what `grpctk capture` reports before it starts. */
export class LiveCapture {
  readonly device: string;
  readonly linkType: number;
  readonly linkTypeName: string;
  readonly snaplen: number;
  /** 9 (nanoseconds) where libpcap offers it, else 6. */
  readonly tsResolExp: number;
  readonly warning: string | undefined;

  private readonly handle: NativeHandle;
  private readonly output: PcapngOutput;
  private readonly tls: TlsSecretsInCapture | undefined;
  private tlsTimer: NodeJS.Timeout | undefined;
  private captured = 0;
  private finished = false;
  /** Set once a stop is asked for: reading goes on for STOP_GRACE_MS. */
  private stopping: StopReason | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];
  private settle: { resolve: (s: CaptureSummary) => void; reject: (e: unknown) => void } | undefined;
  private result: { summary?: CaptureSummary; error?: unknown } | undefined;

  /** Opens the device (activation, filter) and then the output: a bad flag never leaves an empty file. */
  constructor(binding: NativeBinding, private readonly options: CaptureOptions) {
    this.device = options.device;
    const handle = openHandle(binding, options);
    this.handle = handle;
    try {
      this.linkType = handle.linkType;
      this.linkTypeName = handle.linkTypeName;
      this.snaplen = handle.snaplen;
      this.tsResolExp = handle.tsPrecision === 'nano' ? 9 : 6;
      this.warning = handle.warning;
      const iface: WriterInterface = {
        linkType: this.linkType,
        snapLen: this.snaplen,
        name: options.device,
        description: describe(binding, options.device),
        filter: options.filter || undefined,
        tsResolBase: 10,
        tsResolExp: this.tsResolExp,
      };
      this.output = new PcapngOutput({
        path: options.output,
        section: section(binding),
        iface,
        ringSizeBytes: options.ringSizeBytes,
        ringFiles: options.ringFiles,
        statsNow: () => this.statistics(),
        secretsForNewFile: () => this.tls?.secretsSoFar() ?? '',
      });
      if (options.tlsKeylog !== undefined) {
        this.tls = new TlsSecretsInCapture(new KeylogFollower(options.tlsKeylog), this.output, this.linkType);
      }
    } catch (err) {
      handle.close();
      throw err;
    }
  }

  /** Captures until a stop condition; resolves with the counts once the file is complete and closed. */
  run(): Promise<CaptureSummary> {
    return new Promise<CaptureSummary>((resolve, reject) => {
      this.settle = { resolve, reject };
      if (this.result) return this.deliver();
      try {
        this.output.flush();
      } catch (err) {
        return err instanceof OutputClosedError ? this.finishNow('closed') : this.fail(err);
      }
      this.handle.start(
        (batch) => this.onBatch(batch),
        (err) => this.fail(err),
      );
      const o = this.options;
      if (o.durationSec !== undefined) this.timer = setTimeout(() => this.stop('duration'), o.durationSec * 1000);
      // Packets waiting for TLS secrets go out as soon as the key log has them, even on a quiet link.
      if (this.tls !== undefined) this.tlsTimer = setInterval(() => this.onTlsPoll(), KEYLOG_POLL_MS);
      if (o.handleSignals !== false) {
        for (const sig of ['SIGINT', 'SIGTERM'] as NodeJS.Signals[]) {
          const h = () => this.stop('signal');
          this.signalHandlers.push([sig, h]);
          process.on(sig, h);
        }
      }
      if (o.count === 0) this.stop('count');
    });
  }

  /**
   * Ends the capture. After -c or a closed pipe, at once. After a duration, a signal or a call, reading goes
   * on for STOP_GRACE_MS more, the time the kernel takes to hand over the block it is filling, so that every
   * packet that arrived before the stop is in the file; a second signal meanwhile ends it at once.
   */
  stop(reason: StopReason = 'stop'): void {
    if (this.finished) return;
    if (reason === 'count' || reason === 'closed') return this.finishNow(reason);
    if (this.stopping !== undefined) return this.finishNow(this.stopping);
    this.stopping = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finishNow(reason), STOP_GRACE_MS);
  }

  /** Drains libpcap (unless the count is reached or the reader is gone), writes the ISB, closes everything. */
  private finishNow(reason: StopReason): void {
    if (this.finished) return;
    this.finished = true;
    this.unhook();
    this.handle.stop();
    try {
      if (reason !== 'count' && reason !== 'closed') {
        for (let i = 0; i < MAX_DRAIN_BATCHES && !this.countReached(); i++) {
          const batch = this.handle.drain();
          if (batch === null) break;
          this.consume(batch);
          this.output.flush();
        }
      }
      if (reason !== 'closed') this.tls?.finish();
      const stats = this.handle.stats();
      if (reason === 'closed') this.output.abandon();
      else this.output.close(toIsb(stats));
      this.finish({ summary: this.summary(reason, stats) });
    } catch (err) {
      if (err instanceof OutputClosedError) {
        this.output.abandon();
        this.finish({ summary: this.summary('closed', safeStats(this.handle)) });
      } else {
        this.fail(err);
      }
    }
  }

  private onTlsPoll(): void {
    if (this.finished || this.tls === undefined) return;
    try {
      this.tls.poll();
      this.output.flush();
    } catch (err) {
      if (err instanceof OutputClosedError) return this.stop('closed');
      return this.fail(err);
    }
  }

  private onBatch(batch: Buffer): void {
    if (this.finished) return;
    try {
      this.tls?.poll();
      this.consume(batch);
      this.output.flush();
    } catch (err) {
      if (err instanceof OutputClosedError) return this.stop('closed');
      return this.fail(err);
    }
    if (this.countReached()) this.stop('count');
  }

  private consume(batch: Buffer): void {
    const limit = this.options.count;
    forEachPacket(batch, (p) => {
      if (limit !== undefined && this.captured >= limit) return false;
      if (this.tls !== undefined) this.tls.packet(p);
      else this.output.packet(p);
      this.captured++;
      return true;
    });
  }

  private countReached(): boolean {
    return this.options.count !== undefined && this.captured >= this.options.count;
  }

  private statistics(): WriterStatistics | undefined {
    const s = safeStats(this.handle);
    return s ? toIsb(s) : undefined;
  }

  private summary(stoppedBy: StopReason, stats: NativeStats | undefined): CaptureSummary {
    return {
      captured: this.captured,
      received: stats?.received ?? 0,
      dropped: stats?.dropped ?? 0,
      ifDropped: stats?.ifDropped ?? 0,
      stoppedBy,
      files: this.options.output === '-' ? [] : this.output.files,
      tls: this.tls?.counters,
    };
  }

  /** A failure while capturing or writing: keep what can be kept, then report it. */
  private fail(err: unknown): void {
    this.finished = true;
    this.unhook();
    try {
      this.handle.stop();
    } catch {
      // already stopped
    }
    this.output.abandon();
    // libpcap's own failures (pcap_stats, a read after the interface went away) still end in one line.
    const error = err instanceof GrpctkError ? err : new GrpctkError(`capture on '${this.device}' failed: ${(err as Error).message}`, EXIT_INPUT);
    this.finish({ error });
  }

  private finish(result: { summary?: CaptureSummary; error?: unknown }): void {
    this.finished = true;
    try {
      this.handle.close();
    } catch {
      // closing twice is harmless
    }
    if (!this.result) this.result = result;
    this.deliver();
  }

  private deliver(): void {
    if (!this.settle || !this.result) return;
    if (this.result.error !== undefined) this.settle.reject(this.result.error);
    else this.settle.resolve(this.result.summary!);
  }

  private unhook(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.tlsTimer) clearInterval(this.tlsTimer);
    this.tlsTimer = undefined;
    for (const [sig, h] of this.signalHandlers) process.removeListener(sig, h);
    this.signalHandlers.length = 0;
  }
}

/** Opens the device, turning libpcap's failures into one line that says what to do. */
function openHandle(binding: NativeBinding, o: CaptureOptions): NativeHandle {
  const snaplen = o.snaplen && o.snaplen > 0 && o.snaplen <= MAXIMUM_SNAPLEN ? o.snaplen : MAXIMUM_SNAPLEN;
  try {
    return new binding.Handle({
      device: o.device,
      snaplen,
      promisc: Boolean(o.promisc),
      immediate: false,
      timeoutMs: BUFFER_TIMEOUT_MS,
      bufferSize: o.bufferSize,
      filter: o.filter ?? '',
    });
  } catch (err) {
    throw openError(binding, o, err as NativeError);
  }
}

function openError(binding: NativeBinding, o: CaptureOptions, err: NativeError): GrpctkError {
  const said = err && err.message ? err.message : String(err);
  switch (err && err.code) {
    case 'NO_SUCH_DEVICE':
      return new UsageError(`no interface '${o.device}' (available: ${interfaceNames(binding)})`);
    case 'PERM_DENIED':
    case 'PROMISC_PERM_DENIED': {
      const what = err.code === 'PERM_DENIED' ? 'capture on' : 'use promiscuous mode on';
      return new GrpctkError(`no permission to ${what} '${o.device}' (${err.detail || said}): ${permissionHint()}`, EXIT_INPUT);
    }
    case 'IFACE_NOT_UP':
      return new GrpctkError(`interface '${o.device}' is not up (${err.detail || said})`, EXIT_INPUT);
    case 'FILTER':
      return new UsageError(`bad capture filter '${o.filter}': ${said}`);
    default:
      if (err instanceof TypeError) return new UsageError(said);
      return new GrpctkError(`cannot capture on '${o.device}': ${said}`, EXIT_INPUT);
  }
}

/** Capturing needs root, or CAP_NET_RAW and CAP_NET_ADMIN on the binary that runs us: node. */
export function permissionHint(): string {
  let node = process.execPath;
  try {
    node = fs.realpathSync(node);
  } catch {
    // keep execPath
  }
  return `run as root, or grant node the capabilities: sudo setcap cap_net_raw,cap_net_admin=eip ${node}`;
}

export function interfaceNames(binding: NativeBinding): string {
  try {
    const names = binding.listInterfaces().map((i) => i.name);
    return names.length > 0 ? names.join(', ') : 'none';
  } catch {
    return 'unknown: grpctk capture -D lists them';
  }
}

/**
 * `-i` as dumpcap and tcpdump take it: a name, or a number from `-D`; absent, the first interface that is up
 * and running (libpcap lists those first).
 */
export function resolveDevice(binding: NativeBinding, given: string | undefined): string {
  if (given !== undefined && given !== '' && !/^\d+$/.test(given)) return given;
  let list: NativeInterface[];
  try {
    list = binding.listInterfaces();
  } catch (err) {
    throw new GrpctkError(`cannot list interfaces: ${(err as Error).message}`, EXIT_INPUT);
  }
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (n >= 1 && n <= list.length) return list[n - 1].name;
    // A name made of digits is unusual but possible: let libpcap decide.
    if (!list.some((i) => i.name === given)) {
      throw new UsageError(`-i ${given}: no interface number ${given} (1 to ${list.length}; grpctk capture -D lists them)`);
    }
    return given;
  }
  const pick = list.find((i) => i.up && i.running && !i.loopback) ?? list[0];
  if (!pick) throw new GrpctkError(`no interface to capture on: ${permissionHint()}`, EXIT_INPUT);
  return pick.name;
}

/** `-D`: tcpdump's listing, `1. eth0 [Up, Running]`, one per line. */
export function formatInterfaces(list: NativeInterface[]): string {
  return list
    .map((i, n) => {
      const flags = [i.up ? 'Up' : '', i.running ? 'Running' : '', i.loopback ? 'Loopback' : ''].filter(Boolean);
      const desc = i.description ? ` (${i.description})` : '';
      const fl = flags.length > 0 ? ` [${flags.join(', ')}]` : '';
      return `${n + 1}. ${i.name}${desc}${fl}\n`;
    })
    .join('');
}

/** "12 packets captured, 0 dropped": the line dumpcap and tcpdump end with. */
export function summaryLine(s: CaptureSummary): string {
  const noun = s.captured === 1 ? 'packet' : 'packets';
  const ifdrop = s.ifDropped > 0 ? `, ${s.ifDropped} dropped by the interface` : '';
  return `${s.captured} ${noun} captured, ${s.dropped} dropped${ifdrop}`;
}

function describe(binding: NativeBinding, device: string): string | undefined {
  try {
    return binding.listInterfaces().find((i) => i.name === device)?.description;
  } catch {
    return undefined;
  }
}

function section(binding: NativeBinding): WriterSection {
  return {
    userAppl: `grpctk ${version}`,
    os: `${os.type()} ${os.release()}`,
    hardware: os.arch(),
    comments: [`captured with ${binding.libVersion()}`],
  };
}

function toIsb(s: NativeStats): WriterStatistics {
  const ms = Date.now();
  return { tsSec: Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1e6, received: s.received, dropped: s.dropped };
}

function safeStats(h: NativeHandle): NativeStats | undefined {
  try {
    return h.stats();
  } catch {
    return undefined;
  }
}
