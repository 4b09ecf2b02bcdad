/**
 * Google's well-known types whose proto3 JSON is not the ordinary object of their fields
 * (https://protobuf.dev/programming-guides/json/, "JSON Mapping" table). Inside an Any they are printed as
 * `{"@type": url, "value": <their JSON>}`, every other message as `{"@type": url, ...fields}`.
 */
export const SPECIAL_JSON_TYPES: ReadonlySet<string> = new Set([
  'google.protobuf.Any',
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.FieldMask',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

/**
 * The google/rpc/status.proto definitions, as a protobufjs JSON descriptor, for loaders that want them in
 * their registry (./schema.ts adds them so an Any holding a Status decodes too).
 *
 *     message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
 */
export const RPC_STATUS_DESCRIPTOR = {
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
          },
        },
      },
    },
  },
} as const;
