/**
 * grpctk capture: live capture through libpcap into pcapng, with dumpcap's and tcpdump's flags:
 *
 *   grpctk capture -i lo -f 'tcp port 50051' -w trace.pcapng
 *   grpctk capture -i any -f 'tcp port 50051' -w - | grpctk decode -
 *
 * Stops on -c, --duration, SIGINT or SIGTERM with a complete file, then says "N packets captured, M dropped"
 * on stderr. Exit codes: 0 (also when the reader of `-w -` goes away), 1 when capture is not possible (no
 * permission, the libpcap binding not built, a write failure), 2 for bad usage (unknown interface, bad filter,
 * bad flag value).
 */
import { Command } from 'commander';
import { isatty } from 'tty';
import { UsageError } from '../errors';
import { LiveCapture, formatInterfaces, resolveDevice, summaryLine } from '../capture/capture';
import { loadBinding } from '../capture/native';
import { TLS_HOLD_MAX_MS, type TlsCaptureCounters } from '../capture/tls-secrets';
import { parseCount, parseDuration, parseSize } from '../units';

interface Flags {
  interface?: string;
  filter?: string;
  write?: string;
  count?: string;
  duration?: string;
  snaplen?: string;
  promisc?: boolean;
  bufferSize?: string;
  ringSize?: string;
  ringFiles?: string;
  tlsKeylog?: string;
  listInterfaces?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('capture live traffic with libpcap into pcapng (a file, a ring of files, or - for stdout)')
    .option('-i, --interface <iface>', 'interface to capture on: a name, or a number from -D (default: the first one up)')
    .option('-f, --filter <bpf>', "capture filter in libpcap syntax, e.g. 'tcp port 50051'")
    .option('-w, --write <file>', 'pcapng file to write, or - for stdout')
    .option('-c, --count <n>', 'stop after N packets')
    .option('--duration <sec>', 'stop after SEC seconds (also 500ms, 2m)')
    .option('-s, --snaplen <bytes>', 'bytes kept of each packet (default and 0: 262144, whole packets)')
    .option('--promisc', 'put the interface in promiscuous mode')
    .option('-B, --buffer-size <MiB>', "kernel capture buffer in MiB, as dumpcap's -B (default: libpcap's, 2)")
    .option('--ring-size <MB>', 'ring buffer: start a new file every MB megabytes (10^6 bytes; units such as 64MiB work too)')
    .option('--ring-files <n>', 'ring buffer: keep only the newest N files (default: keep all)')
    .option('-D, --list-interfaces', 'list the interfaces libpcap can capture on, and exit')
    .option('--tls-keylog <file>', 'follow this TLS key log (SSLKEYLOGFILE) and write the secrets of captured TLS connections into the file (DSB), so it decrypts on its own; the file may not exist yet')
    .option('-q, --quiet', 'no "Capturing on" and no packet counts on stderr')
    .action(async (flags: Flags) => {
      await runCapture(flags);
    });
}

async function runCapture(flags: Flags): Promise<void> {
  const binding = loadBinding();
  if (flags.listInterfaces) {
    process.stdout.write(formatInterfaces(binding.listInterfaces()));
    return;
  }
  if (flags.write === undefined) throw new UsageError('capture: -w FILE (or -w - for stdout) is required');
  // isatty(1), not process.stdout.isTTY: creating process.stdout would switch a pipe to non-blocking mode.
  if (flags.write === '-' && isatty(1)) {
    throw new UsageError('capture: refusing to write pcapng to a terminal; pipe it (-w - | grpctk decode -) or use -w FILE');
  }
  if (flags.ringFiles !== undefined && flags.ringSize === undefined) {
    throw new UsageError('--ring-files needs --ring-size (when to start the next file)');
  }
  if (flags.ringSize !== undefined && flags.write === '-') throw new UsageError('--ring-size needs -w FILE, not -w -');

  const capture = new LiveCapture(binding, {
    device: resolveDevice(binding, flags.interface),
    filter: flags.filter,
    output: flags.write,
    count: flags.count !== undefined ? parseCount(flags.count, '-c', 1) : undefined,
    durationSec: flags.duration !== undefined ? parseDuration(flags.duration, '--duration') : undefined,
    snaplen: flags.snaplen !== undefined ? parseCount(flags.snaplen, '-s', 0, 262144) : undefined,
    promisc: Boolean(flags.promisc),
    bufferSize: flags.bufferSize !== undefined ? parseCount(flags.bufferSize, '-B', 1, 2047) * 1024 * 1024 : undefined,
    ringSizeBytes: flags.ringSize !== undefined ? ringSize(flags.ringSize) : undefined,
    ringFiles: flags.ringFiles !== undefined ? parseCount(flags.ringFiles, '--ring-files', 1) : undefined,
    tlsKeylog: flags.tlsKeylog,
  });
  const say = (line: string) => {
    if (!flags.quiet) process.stderr.write(line + '\n');
  };
  if (capture.warning) process.stderr.write(`grpctk: warning: ${capture.warning}\n`);
  say(`Capturing on '${capture.device}' (${capture.linkTypeName}, snaplen ${capture.snaplen})`);
  const summary = await capture.run();
  say(summaryLine(summary));
  if (summary.tls !== undefined) say(tlsSummaryLine(summary.tls));
}

/** What --tls-keylog did: one line, and a warning when secrets came too late to decrypt a connection. */
function tlsSummaryLine(t: TlsCaptureCounters): string {
  const late = t.late > 0 ? `; ${t.late} without all their secrets within ${TLS_HOLD_MAX_MS / 1000}s (TLS_HOLD_MAX_MS): they will not decrypt` : '';
  return `TLS: ${t.connections} ${t.connections === 1 ? 'connection' : 'connections'} seen, secrets of ${t.withSecrets} written into the capture${late}`;
}

/** `--ring-size 100` is 100 MB (10^6 bytes, as dumpcap's kB are 10^3); a unit may be given instead. */
function ringSize(text: string): number {
  const bytes = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Math.round(parseFloat(text) * 1e6) : parseSize(text, '--ring-size');
  if (!(bytes >= 1)) throw new UsageError(`--ring-size: '${text}' must be more than zero`);
  return bytes;
}
