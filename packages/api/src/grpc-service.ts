import {
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

const ENCODED = Symbol('cairn.encoded');

/**
 * Marks `message` as already encoded into `bytes` (its exact protobuf wire form), which the gRPC
 * serializer then sends as they are. For the one hot message whose encoding the caller can write more
 * cheaply than the generic encoder (ByteStream's ReadResponse); the caller answers for the bytes matching.
 */
export function withEncoding<T extends object>(message: T, bytes: Uint8Array): T {
  Object.defineProperty(message, ENCODED, { value: bytes, enumerable: false });
  return message;
}

function encodingOf(message: unknown): Uint8Array | undefined {
  return (message as { [ENCODED]?: Uint8Array })[ENCODED];
}

/**
 * Turns a protobuf-es service descriptor into the definition grpc-js serves and calls, so the `.proto`
 * files are compiled by one generator only. Message (de)serialisation is protobuf-es's binary format.
 */
export function grpcServiceOf<T extends GenServiceMethods>(service: GenService<T>): GrpcService<T> {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = methodDefinition(service.typeName, method);
  }
  return definition as GrpcService<T>;
}

function methodDefinition(serviceName: string, method: DescMethod): MethodDefinition<unknown, unknown> {
  const codec = (schema: DescMessage) => ({
    serialize: (message: unknown) => {
      const bytes = encodingOf(message) ?? toBinary(schema, message as MessageShape<DescMessage>);
      // A view, not a copy: toBinary's result is ours alone, and ByteStream messages are ~1 MiB each.
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  });
  const request = codec(method.input);
  const response = codec(method.output);
  return {
    path: `/${serviceName}/${method.name}`,
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
    originalName: method.localName,
  };
}

type Shape<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type OutShape<M> = M extends { output: infer O extends DescMessage } ? MessageShape<O> : never;

/** The grpc-js service definition of `T`, keyed by the methods' local (camelCase) names. */
export type GrpcService<T extends GenServiceMethods> = ServiceDefinition & {
  [K in keyof T]: MethodDefinition<Shape<T[K]>, OutShape<T[K]>>;
};
