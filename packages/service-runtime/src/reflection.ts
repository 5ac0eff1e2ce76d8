import { create, createRegistry, type DescFile, type DescService, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { reflection } from '@cairn/api';
import { Code } from '@cairn/errors';
import type { ServerDuplexStream } from '@grpc/grpc-js';

type Request = reflection.ServerReflectionRequest;
type Response = reflection.ServerReflectionResponse;

/**
 * gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), answered from the protobuf-es
 * descriptors the services were generated from, so tools such as grpcurl can call a service without .proto
 * files. Supports list_services, file_by_filename and file_containing_symbol; extension queries answer
 * "none" for known messages since Cairn's protos declare no extensions.
 */
export function createReflection(services: readonly DescService[]): {
  answer(request: Request): Response;
  handler(call: ServerDuplexStream<Request, Response>): void;
} {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    const name = fileName(file);
    if (files.has(name)) return;
    files.set(name, file);
    for (const dependency of file.dependencies) visit(dependency);
  };
  for (const service of services) visit(service.file);
  const registry = createRegistry(...files.values());
  const serviceNames = services.map((service) => service.typeName);

  const answer = (request: Request): Response => {
    const reply = (messageResponse: Response['messageResponse']) =>
      create(reflection.ServerReflectionResponseSchema, {
        validHost: request.host,
        originalRequest: request,
        messageResponse,
      });
    const error = (code: Code, message: string) =>
      reply({
        case: 'errorResponse',
        value: create(reflection.ErrorResponseSchema, { errorCode: code, errorMessage: message }),
      });
    const withDependencies = (file: DescFile) =>
      reply({
        case: 'fileDescriptorResponse',
        value: create(reflection.FileDescriptorResponseSchema, {
          fileDescriptorProto: serialiseWithDependencies(file),
        }),
      });

    const { messageRequest } = request;
    switch (messageRequest.case) {
      case 'listServices':
        return reply({
          case: 'listServicesResponse',
          value: create(reflection.ListServiceResponseSchema, {
            service: serviceNames.map((name) => create(reflection.ServiceResponseSchema, { name })),
          }),
        });
      case 'fileByFilename': {
        const file = files.get(messageRequest.value);
        return file ? withDependencies(file) : error(Code.NotFound, `no file named ${messageRequest.value}`);
      }
      case 'fileContainingSymbol': {
        const file = fileOfSymbol(registry, messageRequest.value);
        return file
          ? withDependencies(file)
          : error(Code.NotFound, `no symbol named ${messageRequest.value}`);
      }
      case 'allExtensionNumbersOfType': {
        const type = registry.getMessage(messageRequest.value);
        if (!type) return error(Code.NotFound, `no message type named ${messageRequest.value}`);
        return reply({
          case: 'allExtensionNumbersResponse',
          value: create(reflection.ExtensionNumberResponseSchema, {
            baseTypeName: type.typeName,
            extensionNumber: [],
          }),
        });
      }
      case 'fileContainingExtension':
        return error(Code.NotFound, 'no extensions are declared by the services of this server');
      default:
        return error(Code.InvalidArgument, 'the request names no reflection query');
    }
  };

  return {
    answer,
    handler(call) {
      call.on('data', (request: Request) => {
        call.write(answer(request));
      });
      call.on('end', () => call.end());
      call.on('error', () => call.end());
    },
  };
}

/** `foo/bar.proto` — the name reflection clients use, as in the FileDescriptorProto. */
function fileName(file: DescFile): string {
  return file.proto.name || `${file.name}.proto`;
}

function fileOfSymbol(registry: ReturnType<typeof createRegistry>, symbol: string): DescFile | undefined {
  const name = symbol.startsWith('.') ? symbol.slice(1) : symbol;
  const direct = registry.get(name);
  if (direct) return direct.file;
  // A method (`pkg.Service.Method`) or a field (`pkg.Message.field`) lives in its parent's file.
  const parentName = name.slice(0, name.lastIndexOf('.'));
  const parent = parentName ? registry.get(parentName) : undefined;
  if (parent?.kind === 'service') {
    const method = name.slice(parentName.length + 1);
    return parent.methods.some((m) => m.name === method) ? parent.file : undefined;
  }
  if (parent?.kind === 'message') {
    const member = name.slice(parentName.length + 1);
    return parent.fields.some((f) => f.name === member) ? parent.file : undefined;
  }
  return undefined;
}

/** The file first, then every file it imports, transitively, each once. */
function serialiseWithDependencies(file: DescFile): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const visit = (current: DescFile) => {
    if (seen.has(fileName(current))) return;
    seen.add(fileName(current));
    out.push(toBinary(FileDescriptorProtoSchema, current.proto));
    for (const dependency of current.dependencies) visit(dependency);
  };
  visit(file);
  return out;
}
