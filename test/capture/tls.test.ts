// `grpctk capture --tls-keylog`: a grpc-js client over TLS 1.3 writes its secrets to a key log that does not
// exist when the capture starts; the capture follows it and writes the secrets into the file (a DSB before
// the connection's ServerHello), so the file decrypts with no key log. Needs root, as capture.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader } from '../../src/pcap/reader';
import { DSB_SECRETS_TYPE_TLS } from '../../src/pcap/constants';
import { capturing, exitOf, ROOT, runGrpctk, tcpSegment, track, waitFor } from './helpers';

const CERT = join(__dirname, 'fixtures', 'tls-cert.pem');
const KEY = join(__dirname, 'fixtures', 'tls-key.pem');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('capture --tls-keylog writes the secrets before the ServerHello; the file decrypts with no key log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpctk-tls-capture-'));
  try {
    const port = await freePort();
    const file = join(dir, 'tls.pcapng');
    const keylog = join(dir, 'keys.txt');
    const cap = runGrpctk(['capture', '-i', 'lo', '-f', `tcp port ${port}`, '-w', file, '--tls-keylog', keylog]);
    await capturing(cap);
    const server = track(spawn(process.execPath, [join(ROOT, 'samples/src/node-server.js'), '--host', '127.0.0.1', '--port', String(port), '--tls-cert', CERT, '--tls-key', KEY], { stdio: ['ignore', 'pipe', 'inherit'] }));
    try {
      let listening = false;
      server.stdout!.on('data', (b: Buffer) => (listening ||= b.toString().includes('listening')));
      await waitFor(() => listening || server.exitCode !== null, 'the TLS server to listen');
      assert.ok(listening, 'the TLS server listens');
      const client = spawnSync(process.execPath, [`--tls-keylog=${keylog}`, join(ROOT, 'samples/src/node-client.js'), '--target', `127.0.0.1:${port}`, '--scenario', 'hello', '--tls-ca', CERT, '--tls-name', 'grpctk.test'], { encoding: 'utf8' });
      assert.equal(client.status, 0, client.stderr);
    } finally {
      server.kill('SIGTERM');
    }
    await new Promise((r) => setTimeout(r, 300));
    cap.proc.kill('SIGINT');
    assert.equal(await exitOf(cap), 0, cap.stderr);
    assert.match(cap.stderr, /^TLS: 1 connection seen, secrets of 1 written into the capture$/m);

    // File order: the DSB (with the four TLS 1.3 secrets) comes before the packet with the ServerHello.
    const order: string[] = [];
    let secrets = '';
    const reader = new CaptureReader({
      packet: (p) => {
        const seg = tcpSegment(Buffer.from(p.data));
        if (seg && seg.payload.length > 5 && seg.payload[0] === 22 && seg.payload[5] === 2) order.push('ServerHello');
      },
      secrets: (s) => {
        if (s.secretsType === DSB_SECRETS_TYPE_TLS) {
          order.push('DSB');
          secrets += Buffer.from(s.data).toString('utf8');
        }
      },
    });
    reader.push(readFileSync(file));
    reader.end();
    assert.equal(order[0], 'DSB', order.join(' '));
    assert.ok(order.includes('ServerHello'));
    assert.deepEqual(secrets.trim().split('\n').map((l) => l.split(' ')[0]).sort(), [
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0',
    ]);

    // grpctk reads it with no flag.
    const decode = spawnSync(process.execPath, [join(ROOT, 'bin/grpctk.js'), 'decode', '-F', 'ndjson', file], { encoding: 'utf8' });
    assert.equal(decode.status, 0, decode.stderr);
    const calls = decode.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'call');
    assert.deepEqual(calls.map((c) => [c.method, c.status, c.tls.version, c.tls.sni]), [['/helloworld.Greeter/SayHello', 0, 'TLS 1.3', 'grpctk.test']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
