/**
 * `--reflect HOST:PORT`: the schema from a live server's reflection service, as grpcurl gets it. The
 * services are listed, then the file that defines each is asked for (with the files it imports, asked by name
 * when the server did not send them along). grpc.reflection.v1 first, v1alpha when the server only has that.
 *
 * This is the one place grpctk opens a network connection, and only to the server the user named.
 * Bounded: REFLECT_TIMEOUT_MS for the whole exchange, at most MAX_REFLECTED_FILES files.
 */
import * as path from 'node:path';
import { UsageError } from '../errors';

export const REFLECT_TIMEOUT_MS = 10_000;
export const MAX_REFLECTED_FILES = 10_000;

interface Response {
  list_services_response?: { service: Array<{ name: string }> };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

/** Serialized FileDescriptorProtos of every service the server at `target` lists. Throws UsageError. */
export async function reflectFiles(target: string, tls: boolean): Promise<Uint8Array[]> {
  // Loaded here only: the gRPC client is needed by this flag alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const descriptor = require('protobufjs/ext/descriptor') as typeof import('protobufjs/ext/descriptor');
  const dir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const creds = tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  let lastError = '';
  for (const version of ['v1', 'v1alpha']) {
    const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { keepCase: true, includeDirs: [dir] });
    const pkg = grpc.loadPackageDefinition(def) as any;
    const Client = pkg.grpc.reflection[version].ServerReflection;
    const client = new Client(target, creds);
    try {
      return await exchange(client, grpc, (b: Uint8Array) => (descriptor.FileDescriptorProto.decode(b) as unknown as { name?: string; dependency?: string[] }));
    } catch (e) {
      const err = e as { code?: number; details?: string; message?: string };
      lastError = err.details || err.message || String(e);
      // 12 UNIMPLEMENTED: no v1 service there; try v1alpha. Anything else is final.
      if (err.code !== grpc.status.UNIMPLEMENTED) break;
    } finally {
      client.close();
    }
  }
  throw new UsageError(`--reflect ${target}: cannot get the schema from the server's reflection service: ${lastError.replace(/ Resolution note:.*/s, '').replace(/\s+/g, ' ').trim()}`);
}

/** FileDescriptorProto's name and imports; empty for bytes that do not parse (a server's bug). */
function safe(parse: (b: Uint8Array) => { name?: string; dependency?: string[] }, b: Uint8Array): { name?: string; dependency?: string[] } {
  try {
    return parse(b);
  } catch {
    return {};
  }
}

function exchange(client: any, grpc: typeof import('@grpc/grpc-js'), parse: (b: Uint8Array) => { name?: string; dependency?: string[] }): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo({ deadline: Date.now() + REFLECT_TIMEOUT_MS });
    const files = new Map<string, Uint8Array>();
    const asked = new Set<string>();
    let pending = 0;
    let failed = false;
    const ask = (req: object) => {
      pending++;
      call.write({ host: '', ...req });
    };
    const askFile = (name: string) => {
      if (files.has(name) || asked.has(name) || files.size + asked.size >= MAX_REFLECTED_FILES) return;
      asked.add(name);
      ask({ file_by_filename: name });
    };
    call.on('data', (r: Response) => {
      pending--;
      if (r.list_services_response) {
        for (const s of r.list_services_response.service) {
          if (!s.name.startsWith('grpc.reflection.')) ask({ file_containing_symbol: s.name });
        }
      }
      for (const b of r.file_descriptor_response?.file_descriptor_proto ?? []) {
        const fd = safe(parse, b);
        if (fd.name && !files.has(fd.name)) files.set(fd.name, Uint8Array.from(b));
      }
      for (const b of r.file_descriptor_response?.file_descriptor_proto ?? []) {
        for (const dep of safe(parse, b).dependency ?? []) askFile(dep);
      }
      if (pending === 0) call.end();
    });
    call.on('error', (e: Error) => {
      failed = true;
      reject(e);
    });
    call.on('end', () => {
      if (!failed) resolve([...files.values()]);
    });
    call.on('status', (s: { code: number; details: string }) => {
      if (s.code !== grpc.status.OK && !failed) {
        failed = true;
        reject(Object.assign(new Error(s.details), { code: s.code, details: s.details }));
      }
    });
    ask({ list_services: '' });
  });
}
