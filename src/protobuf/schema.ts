/**
 * The schema registry: .proto files and FileDescriptorSets loaded into one protobufjs Root, and the
 * MessageDecoder built on it (schema decode to canonical proto3 JSON, raw decode as the fallback).
 *
 * Loading follows protoc:
 * - `-I DIR` (protoPaths): every .proto under DIR, recursively, is loaded; imports resolve against every
 *   -I directory in order (then the directories of `--proto` files), like protoc's `--proto_path`;
 * - `--proto FILE` (protoFiles): loaded, with its imports resolved the same way;
 * - `--descriptor-set FILE`: a FileDescriptorSet (`protoc -o`, `buf build`), json_name kept;
 * - Google's well-known types (any, duration, empty, field_mask, struct, timestamp, wrappers) are always
 *   there, from protobufjs's bundled copies, and so is google.rpc.Status (for grpc-status-details-bin);
 *   google/protobuf/descriptor.proto resolves to the copy shipped with protobufjs.
 *
 * Errors are usage errors (exit 2) on one line: a .proto with a syntax error (file and line), a file or
 * directory that does not exist, a descriptor set that does not parse, a type reference that resolves
 * nowhere, a name defined twice. An import found in no directory is skipped with one warning line (protoc
 * would stop) because imports such as google/api/annotations.proto usually only carry options; a type used
 * from it then fails as an unresolved reference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { UsageError } from '../errors';
import { RPC_STATUS_DESCRIPTOR } from '../grpc/status';
import type { DecodedBody, DecodeOptions, MessageDecoder, MethodInfo, MethodTypes, SchemaSources } from './types';
import { JsonError, jsonName, messageToJson } from './json';
import { decodeRaw, DEFAULT_RAW_MAX_DEPTH } from './raw';
import { WireError } from './wire';

/** Files protobufjs bundles (protobuf.common): always loaded, never read from disk. */
const WELL_KNOWN_FILES = [
  'google/protobuf/any.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/field_mask.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/timestamp.proto',
  'google/protobuf/wrappers.proto',
];

/** Parse options: keep .proto field names (json.ts derives JSON names itself). */
const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };

export interface LoadOptions {
  /** One line per skipped import; default: `grpctk: warning: …` on stderr. */
  warn?: (message: string) => void;
}

/** Loads the schema; see the module comment. Throws UsageError. */
export async function loadSchema(sources: SchemaSources, options: LoadOptions = {}): Promise<SchemaDecoder> {
  return loadSchemaSync(sources, options);
}

export function loadSchemaSync(sources: SchemaSources, options: LoadOptions = {}): SchemaDecoder {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`grpctk: warning: ${m}\n`));
  const protoPaths = (sources.protoPaths ?? []).map((d) => path.resolve(d));
  const protoFiles = (sources.protoFiles ?? []).map((f) => path.resolve(f));
  for (const d of protoPaths) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch {
      st = undefined;
    }
    if (!st?.isDirectory()) throw new UsageError(`-I ${d}: no such directory`);
  }
  for (const f of protoFiles) {
    if (!fs.existsSync(f)) throw new UsageError(`--proto ${f}: no such file`);
  }

  const root = rootFromDescriptorSets(sources.descriptorSets ?? []);

  const searchDirs = [...protoPaths, ...new Set(protoFiles.map((f) => path.dirname(f)))];
  const bundledDir = protobufjsIncludeDir();
  const warned = new Set<string>();
  // Files a descriptor set already defined, by their import name: loading them again would define
  // every name twice.
  const fromDescriptors = new Set(root.files);
  root.resolvePath = (origin: string, target: string): string | null => {
    if (path.isAbsolute(target)) return target;
    if (fromDescriptors.has(target)) return target; // already in root.files: protobufjs skips it
    const dirs = origin ? [...searchDirs, path.dirname(origin)] : [...searchDirs, process.cwd()];
    for (const dir of dirs) {
      const candidate = path.resolve(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    if (bundledDir && target.startsWith('google/protobuf/')) {
      const candidate = path.join(bundledDir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    if (!origin) return path.resolve(target);
    if (!warned.has(target)) {
      warned.add(target);
      warn(`import "${target}" (from ${origin}) not found in any -I directory; skipped`);
    }
    return null;
  };

  const files = [
    ...protoPaths.flatMap((dir) =>
      listProtoFiles(dir).filter((f) => !fromDescriptors.has(path.relative(dir, f).split(path.sep).join('/'))),
    ),
    ...protoFiles,
  ];
  try {
    if (files.length > 0) root.loadSync(files, PARSE_OPTIONS);
    root.loadSync(WELL_KNOWN_FILES, PARSE_OPTIONS);
    if (!root.lookup('google.rpc.Status')) root.addJSON(RPC_STATUS_DESCRIPTOR.nested as never);
    root.resolveAll();
  } catch (e) {
    throw new UsageError(`cannot load the schema: ${oneLine((e as Error).message)}`);
  }
  return new SchemaDecoder(root);
}

/** Every .proto file under `dir`, recursively, in a stable order. */
function listProtoFiles(dir: string): string[] {
  const names = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[];
  return names
    .filter((n) => n.endsWith('.proto'))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => fs.statSync(f).isFile());
}

/** protobufjs's own directory, which holds google/protobuf/descriptor.proto and friends. */
function protobufjsIncludeDir(): string | null {
  try {
    return path.dirname(require.resolve('protobufjs/package.json'));
  } catch {
    return null;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

interface DescriptorMessage {
  name?: string;
  field?: Array<{ name?: string; jsonName?: string }>;
  nestedType?: DescriptorMessage[];
}

/** Merged FileDescriptorSets → Root (files deduplicated by name), keeping each field's json_name. */
function rootFromDescriptorSets(filesToRead: string[]): protobuf.Root {
  if (filesToRead.length === 0) return new protobuf.Root();
  const byName = new Map<string, protobuf.Message & { name?: string; package?: string; messageType?: DescriptorMessage[] }>();
  for (const file of filesToRead) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new UsageError(`--descriptor-set ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let set: { file?: Array<protobuf.Message & { name?: string }> };
    try {
      set = descriptor.FileDescriptorSet.decode(bytes) as unknown as typeof set;
    } catch (e) {
      throw new UsageError(`--descriptor-set ${file}: not a FileDescriptorSet (${oneLine((e as Error).message)})`);
    }
    if (!set.file || set.file.length === 0) {
      throw new UsageError(`--descriptor-set ${file}: not a FileDescriptorSet (no files in it)`);
    }
    for (const fd of set.file) if (fd.name && !byName.has(fd.name)) byName.set(fd.name, fd);
  }
  let root: protobuf.Root;
  try {
    const fromDescriptor = (protobuf.Root as unknown as { fromDescriptor(d: unknown): protobuf.Root }).fromDescriptor;
    root = fromDescriptor({ file: [...byName.values()] });
  } catch (e) {
    throw new UsageError(`--descriptor-set: cannot use its definitions: ${oneLine((e as Error).message)}`);
  }
  // protobufjs drops json_name; put back the ones that differ from the default.
  const visit = (prefix: string, messages: DescriptorMessage[] | undefined): void => {
    for (const m of messages ?? []) {
      const full = `${prefix}.${m.name}`;
      const type = root.lookup(full);
      if (type instanceof protobuf.Type) {
        for (const f of m.field ?? []) {
          if (f.name && f.jsonName && f.jsonName !== jsonName(f.name) && type.fields[f.name]) {
            type.fields[f.name].setOption('json_name', f.jsonName);
          }
        }
      }
      visit(full, m.nestedType);
    }
  };
  for (const fd of byName.values()) visit(fd.package ? `.${fd.package}` : '', fd.messageType);
  return root;
}

/** A MessageDecoder over a loaded Root. */
export class SchemaDecoder implements MessageDecoder {
  private methodsByPath: Map<string, MethodTypes> | undefined;
  private methodList: MethodInfo[] | undefined;
  private readonly types = new Map<string, protobuf.Type | null>();
  /** Full names without the leading dot (protobufjs's `fullName` getter rebuilds the string on each read). */
  private readonly names = new Map<protobuf.Type, string>();

  constructor(readonly root: protobuf.Root) {}

  methodTypes(methodPath: string): MethodTypes | undefined {
    return this.methodMap().get(methodPath);
  }

  private methodMap(): Map<string, MethodTypes> {
    if (!this.methodsByPath) {
      this.methodList = collectMethods(this.root);
      this.methodsByPath = new Map(this.methodList.map((m) => [m.path, { requestType: m.requestType, responseType: m.responseType }]));
    }
    return this.methodsByPath;
  }

  methods(): readonly MethodInfo[] {
    this.methodMap();
    return this.methodList as MethodInfo[];
  }

  fitsStrictly(typeName: string, bytes: Uint8Array): boolean {
    const type = this.lookupType(typeName);
    if (!type) return false;
    try {
      messageToJson(type, bytes, { strict: true });
      return true;
    } catch {
      return false;
    }
  }

  /** The loaded type of that fully qualified name (leading dot optional), or null. */
  lookupType(typeName: string): protobuf.Type | null {
    let t = this.types.get(typeName);
    if (t === undefined) {
      const name = typeName.startsWith('.') ? typeName : `.${typeName}`;
      const found = this.root.lookup(name, [protobuf.Type]);
      t = found instanceof protobuf.Type ? found : null;
      this.types.set(typeName, t);
    }
    return t;
  }

  private nameOf(type: protobuf.Type): string {
    let name = this.names.get(type);
    if (name === undefined) {
      name = type.fullName.slice(1);
      this.names.set(type, name);
    }
    return name;
  }

  decode(typeName: string | undefined, bytes: Uint8Array, options: DecodeOptions = {}): DecodedBody {
    const type = typeName ? this.lookupType(typeName) : null;
    const maxDepth = options.maxDepth ?? DEFAULT_RAW_MAX_DEPTH;
    if (type) {
      try {
        return { messageType: this.nameOf(type), body: messageToJson(type, bytes, options), error: null };
      } catch (e) {
        const reason = e instanceof JsonError || e instanceof WireError ? e.message : `decode failed: ${String(e)}`;
        const raw = decodeRaw(bytes, maxDepth);
        return { messageType: this.nameOf(type), body: raw.body, error: reason };
      }
    }
    const raw = decodeRaw(bytes, maxDepth);
    return { messageType: null, body: raw.body, error: raw.error };
  }
}

/** Every method of every service in the root: path, request/response types, streaming kind. */
function collectMethods(root: protobuf.Root): MethodInfo[] {
  const out: MethodInfo[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service) {
        for (const m of obj.methodsArray) {
          m.resolve();
          const req = m.resolvedRequestType;
          const res = m.resolvedResponseType;
          if (!req || !res) continue;
          out.push({
            path: `/${obj.fullName.slice(1)}/${m.name}`,
            requestType: req.fullName.slice(1),
            responseType: res.fullName.slice(1),
            clientStreaming: m.requestStream === true,
            serverStreaming: m.responseStream === true,
          });
        }
      }
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) walk(obj as protobuf.NamespaceBase);
    }
  };
  walk(root);
  return out;
}

/** A decoder without any schema: every message is decoded raw. */
export const RAW_DECODER: MessageDecoder = {
  methodTypes: () => undefined,
  decode(_typeName, bytes, options) {
    const raw = decodeRaw(bytes, options?.maxDepth ?? DEFAULT_RAW_MAX_DEPTH);
    return { messageType: null, body: raw.body, error: raw.error };
  },
};
