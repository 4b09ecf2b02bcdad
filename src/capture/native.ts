/**
 * The libpcap binding (native/grpctk_pcap.cc) as TypeScript sees it, and the one place that loads it.
 *
 * The binding is optional: `npm install` succeeds without libpcap-dev (native/build.js prints a notice), and
 * then every use of capture ends in one line that says how to enable it.
 */
import * as path from 'path';
import { EXIT_INPUT, GrpctkError } from '../errors';

/** What `new Handle(options)` takes. Every field but `device` has libpcap's or the binding's default. */
export interface NativeOpenOptions {
  device: string;
  /** Bytes kept of each packet; 0 or more than 262144 means 262144. */
  snaplen?: number;
  promisc?: boolean;
  /** libpcap immediate mode (default false; see BUFFER_TIMEOUT_MS in ./capture.ts for why). */
  immediate?: boolean;
  /** Packet buffer timeout when not in immediate mode (default 100 ms). */
  timeoutMs?: number;
  /** Kernel buffer size in bytes; 0 or absent: libpcap's default (2 MiB on Linux). */
  bufferSize?: number;
  /** A libpcap filter expression (pcap-filter(7)); empty: everything. */
  filter?: string;
}

export interface NativeStats {
  /** pcap_stat.ps_recv, ps_drop, ps_ifdrop: counted since activation. */
  received: number;
  dropped: number;
  ifDropped: number;
}

/** `code` tells the kinds of failure apart; `message` is libpcap's. */
export interface NativeError extends Error {
  code?: 'PERM_DENIED' | 'PROMISC_PERM_DENIED' | 'NO_SUCH_DEVICE' | 'IFACE_NOT_UP' | 'FILTER' | 'PCAP_ERROR';
  /** pcap_activate() failures: libpcap's detail alone (`message` has its generic text too). */
  detail?: string;
}

/** An activated, filtered, non-blocking pcap_t. */
export interface NativeHandle {
  readonly linkType: number;
  readonly linkTypeName: string;
  readonly snaplen: number;
  /** 'nano' when libpcap delivers nanosecond timestamps, else 'micro' (the batch still carries nanoseconds). */
  readonly tsPrecision: 'nano' | 'micro';
  /** pcap_activate()'s warning, if any (e.g. promiscuous mode not supported). */
  readonly warning?: string;
  /**
   * Watches the device on the event loop; each readable turn hands one batch (see ./batch.ts). An error while
   * reading stops the watch and goes to onError. Both callbacks may call stop() or close().
   */
  start(onBatch: (batch: Buffer) => void, onError: (err: NativeError) => void): void;
  /** No more callbacks; packets libpcap already holds stay for drain(). */
  stop(): void;
  /** The next batch of packets libpcap holds, read without blocking; null when there are none. */
  drain(): Buffer | null;
  stats(): NativeStats;
  close(): void;
}

export interface NativeInterface {
  name: string;
  description?: string;
  loopback: boolean;
  up: boolean;
  running: boolean;
  addresses: string[];
}

export interface NativeBinding {
  Handle: new (options: NativeOpenOptions) => NativeHandle;
  listInterfaces(): NativeInterface[];
  libVersion(): string;
}

/** Where native/build.js leaves the addon; the same relative path from src/capture and dist/capture. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_BINDING_PATH = path.join(PACKAGE_ROOT, 'native', 'build', 'Release', 'grpctk_pcap.node');

let cached: NativeBinding | undefined;

/**
 * The binding, or a GrpctkError (exit 1) that says how to enable capture. GRPCTK_PCAP_BINDING overrides the
 * path (tests use it to check the message a user without libpcap-dev sees).
 */
export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const file = process.env.GRPCTK_PCAP_BINDING || DEFAULT_BINDING_PATH;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    cached = require(file) as NativeBinding;
    return cached;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e && e.code === 'MODULE_NOT_FOUND' ? 'the libpcap binding was not built' : `the libpcap binding did not load (${firstLine(e)})`;
    throw new GrpctkError(`capture is disabled: ${why}; to enable it: ${enableHint()}`, EXIT_INPUT);
  }
}

/**
 * What to type to build the binding: `npm rebuild` reruns the install script of an installed package, but not
 * of a source checkout (the project root), where `npm run install` does it.
 */
export function enableHint(): string {
  const installed = PACKAGE_ROOT.split(path.sep).includes('node_modules');
  const globalRoot = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules');
  const rebuild = !installed
    ? 'npm run install'
    : PACKAGE_ROOT.startsWith(globalRoot + path.sep)
      ? 'npm rebuild -g grpctk'
      : 'npm rebuild grpctk';
  return `apt-get install libpcap-dev && ${rebuild}`;
}

function firstLine(e: Error | undefined): string {
  const text = e && e.message ? e.message : String(e);
  return text.split('\n')[0];
}
