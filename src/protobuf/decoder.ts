/**
 * The MessageDecoder a pipeline decodes bodies with, loading the schema machinery (protobufjs and its .proto
 * parser, a third of a small run's start-up) only when something needs it: at once when schema sources are
 * given, else on the first body decoded by type name (google.rpc.Status in `grpc-status-details-bin`).
 * Without sources the schema holds only the well-known types, google.rpc.Status and gRPC server reflection:
 * no other method has types, and bodies are decoded raw, as the loaded schema would; a reflection call
 * loads the schema, so its answers (and the files they carry: ../grpc/reflection.ts) are decoded.
 */
import type * as Schema from './schema';
import type { MessageDecoder, SchemaSources } from './types';
import { decodeRaw, DEFAULT_RAW_MAX_DEPTH } from './raw';

function schemaModule(): typeof Schema {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('./schema') as typeof Schema;
}

function hasSources(s: SchemaSources): boolean {
  return (s.protoPaths?.length ?? 0) + (s.protoFiles?.length ?? 0) + (s.descriptorSets?.length ?? 0) + (s.descriptorBytes?.length ?? 0) > 0 || s.reflect !== undefined;
}

/** gRPC server reflection's methods: their types are always known (schema.ts loads reflection's .proto files). */
const REFLECTION_PREFIX = '/grpc.reflection.';

/** The schema of `sources` (loading errors as loadSchema throws them), or a lazy one when there are none. */
export async function schemaDecoder(sources: SchemaSources): Promise<MessageDecoder> {
  if (hasSources(sources)) return schemaModule().loadSchema(sources);
  let loaded: MessageDecoder | null = null;
  return {
    methodTypes: (path) => (path.startsWith(REFLECTION_PREFIX) ? (loaded ??= schemaModule().loadSchemaSync({})).methodTypes(path) : undefined),
    decode(typeName, bytes, options) {
      if (typeName === undefined) {
        const raw = decodeRaw(bytes, options?.maxDepth ?? DEFAULT_RAW_MAX_DEPTH);
        return { messageType: null, body: raw.body, error: raw.error };
      }
      loaded ??= schemaModule().loadSchemaSync({});
      return loaded.decode(typeName, bytes, options);
    },
  };
}
