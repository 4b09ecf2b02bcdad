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
 * Errors are usage errors (exit 2) on one line: a .proto named with --proto that has a syntax error (file and
 * line), a file or directory that does not exist, a descriptor set that does not parse, a type reference that
 * resolves nowhere, a name defined twice. A .proto found under `-I` that does not parse (or cannot be read)
 * is skipped with one warning naming the file and line, so one broken file in a large tree does not stop
 * the decode of every method the other files define; the methods it defined are decoded raw. An import found in no directory is skipped with one warning line (protoc
 * would stop) because imports such as google/api/annotations.proto usually only carry options; a type used
 * from it then fails as an unresolved reference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type * as Descriptor from 'protobufjs/ext/descriptor';
import { UsageError } from '../errors';
import { RPC_STATUS_DESCRIPTOR } from './wkt';
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

/** A type each well-known file defines: when it is there, so is the file. */
const WELL_KNOWN_TYPE_OF: Record<string, string> = {
  'google/protobuf/any.proto': '.google.protobuf.Any',
  'google/protobuf/duration.proto': '.google.protobuf.Duration',
  'google/protobuf/empty.proto': '.google.protobuf.Empty',
  'google/protobuf/field_mask.proto': '.google.protobuf.FieldMask',
  'google/protobuf/struct.proto': '.google.protobuf.Struct',
  'google/protobuf/timestamp.proto': '.google.protobuf.Timestamp',
  'google/protobuf/wrappers.proto': '.google.protobuf.DoubleValue',
};

/** Parse options: keep .proto field names (json.ts derives JSON names itself). */
const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };

export interface LoadOptions {
  /** One line per skipped import; default: `grpctk: warning: …` on stderr. */
  warn?: (message: string) => void;
}

/** Loads the schema; see the module comment. Throws UsageError. */
export async function loadSchema(sources: SchemaSources, options: LoadOptions = {}): Promise<SchemaDecoder> {
  if (sources.reflect === undefined) return loadSchemaSync(sources, options);
  // The network edge, loaded only for this flag.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { reflectFiles } = require('../input/reflect') as typeof import('../input/reflect');
  const files = await reflectFiles(sources.reflect.target, sources.reflect.tls);
  return loadSchemaSync({ ...sources, descriptorBytes: [...(sources.descriptorBytes ?? []), descriptorSetOf(files)] }, options);
}

/** Serialized FileDescriptorProtos as one FileDescriptorSet (field 1, repeated). */
export function descriptorSetOf(files: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of files) {
    const head: number[] = [0x0a];
    let n = f.length;
    while (n >= 0x80) {
      head.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    head.push(n);
    parts.push(Uint8Array.from(head), f);
  }
  return Buffer.concat(parts);
}

export function loadSchemaSync(sources: SchemaSources, options: LoadOptions = {}): SchemaDecoder {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`grpctk: warning: ${m}\n`));
  const protoPaths = (sources.protoPaths ?? []).map((d) => path.resolve(d));
  // As the user spelled them, for messages.
  const spelled = new Map((sources.protoPaths ?? []).map((d) => [path.resolve(d), d]));
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

  const root = rootFromDescriptorSets([
    ...(sources.descriptorSets ?? []).map((file) => ({ file, bytes: null })),
    ...(sources.descriptorBytes ?? []).map((bytes, i) => ({ file: `(descriptor set ${i + 1})`, bytes })),
  ]);

  const searchDirs = [...protoPaths, ...new Set(protoFiles.map((f) => path.dirname(f)))];
  const bundledDir = protobufjsIncludeDir();
  const warned = new Set<string>();
  // Files under -I that do not parse: skipped, and never loaded as someone's import either.
  const broken = new Set<string>();
  // Files a descriptor set already defined, by their import name: loading them again would define
  // every name twice.
  const fromDescriptors = new Set(root.files);
  root.resolvePath = (origin: string, target: string): string | null => {
    if (path.isAbsolute(target)) return target;
    if (fromDescriptors.has(target)) return target; // already in root.files: protobufjs skips it
    const dirs = origin ? [...searchDirs, path.dirname(origin)] : [...searchDirs, process.cwd()];
    for (const dir of dirs) {
      const candidate = path.resolve(dir, target);
      if (broken.has(candidate)) return null;
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

  const underDirs = protoPaths.flatMap((dir) =>
    listProtoFiles(dir)
      .filter((f) => !fromDescriptors.has(path.relative(dir, f).split(path.sep).join('/')))
      .filter((f) => {
        const why = syntaxError(f);
        if (why === null) return true;
        broken.add(f);
        warn(`${path.join(spelled.get(dir) ?? dir, path.relative(dir, f))}: ${why}; skipped (its types are not loaded: their messages are decoded raw)`);
        return false;
      }),
  );
  for (const f of protoFiles) {
    const why = syntaxError(f);
    if (why !== null) throw new UsageError(`--proto ${f}: ${why}`);
  }
  const files = [...underDirs, ...protoFiles];
  try {
    if (files.length > 0) root.loadSync(files, PARSE_OPTIONS);
    // A well-known file whose types a descriptor already holds (under another file name: @grpc/reflection
    // sends them as google_protobuf.proto) is not loaded again.
    root.loadSync(WELL_KNOWN_FILES.filter((f) => !root.lookup(WELL_KNOWN_TYPE_OF[f])), PARSE_OPTIONS);
    loadReflectionProtos(root);
    if (!root.lookup('google.rpc.Status')) root.addJSON(RPC_STATUS_DESCRIPTOR.nested as never);
    root.resolveAll();
  } catch (e) {
    throw new UsageError(`cannot load the schema: ${oneLine((e as Error).message)}`);
  }
  return new SchemaDecoder(root);
}

/**
 * Why `file` does not parse as a .proto (`line 5: illegal token …`), or null. Parsed alone, into a scratch
 * root: a file that fails half-way must not leave half its definitions in the real one.
 */
function syntaxError(file: string): string | null {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  try {
    protobuf.parse(source, new protobuf.Root(), PARSE_OPTIONS);
    return null;
  } catch (e) {
    const message = oneLine((e as Error).message);
    // protobufjs ends its messages with "(line N)" or "(FILE, line N)": put the line first, as compilers do.
    const m = /^(.*?)\s*\((?:[^,()]*, )?line (\d+)\)$/.exec(message);
    return m ? `line ${m[2]}: ${m[1]}` : message;
  }
}

/**
 * gRPC server reflection's own messages (grpc.reflection.v1 and v1alpha) are always decoded with their types,
 * as the well-known types are, unless the user's files define them. The .proto files come with
 * @grpc/reflection, which `--reflect` uses too.
 */
/** Services loaded by grpctk itself (reflection), not by the user: SchemaDecoder.methods() leaves them out. */
const BUILTIN_SERVICES = new WeakSet<protobuf.Service>();

function loadReflectionProtos(root: protobuf.Root): void {
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  } catch {
    return;
  }
  for (const version of ['v1', 'v1alpha']) {
    if (root.lookup(`grpc.reflection.${version}.ServerReflection`)) continue;
    const file = path.join(dir, 'grpc', 'reflection', version, 'reflection.proto');
    if (!fs.existsSync(file)) continue;
    root.loadSync(file, PARSE_OPTIONS);
    const service = root.lookup(`grpc.reflection.${version}.ServerReflection`);
    if (service instanceof protobuf.Service) BUILTIN_SERVICES.add(service);
  }
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
  options?: { mapEntry?: boolean };
}

/**
 * protobufjs's descriptor extension, loaded only when descriptor sets are read: loading it costs about 35 ms
 * of CPU (measured), a tenth of a small `decode -I DIR` run that does not need it.
 */
function descriptorExtension(): typeof Descriptor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('protobufjs/ext/descriptor') as typeof Descriptor;
}

/** Merged FileDescriptorSets → Root (files deduplicated by name), keeping each field's json_name. */
function rootFromDescriptorSets(filesToRead: Array<{ file: string; bytes: Uint8Array | null }>): protobuf.Root {
  if (filesToRead.length === 0) return new protobuf.Root();
  const descriptor = descriptorExtension();
  const byName = new Map<string, protobuf.Message & { name?: string; package?: string; messageType?: DescriptorMessage[] }>();
  for (const { file, bytes: given } of filesToRead) {
    let bytes: Uint8Array;
    try {
      bytes = given ?? fs.readFileSync(file);
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
  mapFieldsFromEntries(root, byName.values());
  return root;
}

/**
 * protobufjs builds a map field of a descriptor as what the wire sees, a repeated entry message (and marks
 * the wrong type as the map entry); proto3 JSON shows a map as an object. Put the map fields back: every
 * repeated field whose type is a nested type the descriptor marks `map_entry` becomes a MapField.
 */
function mapFieldsFromEntries(root: protobuf.Root, files: Iterable<{ package?: string; messageType?: DescriptorMessage[] }>): void {
  const entries = new Set<string>();
  const collect = (prefix: string, messages: DescriptorMessage[] | undefined): void => {
    for (const m of messages ?? []) {
      const full = `${prefix}.${m.name}`;
      if (m.options?.mapEntry) entries.add(full);
      collect(full, m.nestedType);
    }
  };
  for (const fd of files) collect(fd.package ? `.${fd.package}` : '', fd.messageType);
  if (entries.size === 0) return;
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        for (const f of [...obj.fieldsArray]) {
          if (!f.repeated || f instanceof protobuf.MapField) continue;
          const entry = f.parent?.lookup(f.type);
          if (!(entry instanceof protobuf.Type) || !entries.has(entry.fullName)) continue;
          const key = entry.fieldsById[1];
          const value = entry.fieldsById[2];
          if (!key || !value) continue;
          const valueType = value.parent?.lookup(value.type);
          const valueName = valueType instanceof protobuf.Type || valueType instanceof protobuf.Enum ? valueType.fullName : value.type;
          obj.remove(f);
          obj.add(new protobuf.MapField(f.name, f.id, key.type, valueName, f.options));
        }
      }
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) walk(obj as protobuf.NamespaceBase);
    }
  };
  walk(root);
}

/** A MessageDecoder over a loaded Root. */
export class SchemaDecoder implements MessageDecoder {
  private methodsByPath: Map<string, MethodTypes> | undefined;
  private methodList: MethodInfo[] | undefined;
  private userMethods: MethodInfo[] | undefined;
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
      this.userMethods = this.methodList.filter((m) => !m.builtin);
      this.methodsByPath = new Map(this.methodList.map((m) => [m.path, { requestType: m.requestType, responseType: m.responseType }]));
    }
    return this.methodsByPath;
  }

  methods(): readonly MethodInfo[] {
    this.methodMap();
    return this.userMethods as MethodInfo[];
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
            ...(BUILTIN_SERVICES.has(obj) ? { builtin: true } : {}),
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
