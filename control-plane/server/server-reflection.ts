import { toBinary, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** A reflection request, alike in v1 and v1alpha. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

/**
 * What the served services are made of: every file they (transitively)
 * import, and which file defines each fully qualified name.
 */
class DescriptorIndex {
  readonly files = new Map<string, DescFile>();
  readonly fileOfSymbol = new Map<string, DescFile>();
  readonly extensionsOf = new Map<string, { number: number; file: DescFile }[]>();

  constructor(readonly services: readonly DescService[]) {
    for (const service of services) this.addFile(service.file);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.proto.name)) return;
    this.files.set(file.proto.name, file);
    for (const dependency of file.dependencies) this.addFile(dependency);
    for (const service of file.services) {
      this.fileOfSymbol.set(service.typeName, file);
      for (const method of service.methods) this.fileOfSymbol.set(`${service.typeName}.${method.name}`, file);
    }
    for (const enumDesc of file.enums) this.fileOfSymbol.set(enumDesc.typeName, file);
    for (const message of file.messages) this.addMessage(message, file);
    for (const extension of file.extensions) this.addExtension(extension.extendee.typeName, extension.number, file);
  }

  private addMessage(message: DescMessage, file: DescFile): void {
    this.fileOfSymbol.set(message.typeName, file);
    for (const field of message.fields) this.fileOfSymbol.set(`${message.typeName}.${field.name}`, file);
    for (const nested of message.nestedMessages) this.addMessage(nested, file);
    for (const nested of message.nestedEnums) this.fileOfSymbol.set(nested.typeName, file);
    for (const extension of message.nestedExtensions) this.addExtension(extension.extendee.typeName, extension.number, file);
  }

  private addExtension(extendee: string, number: number, file: DescFile): void {
    const list = this.extensionsOf.get(extendee) ?? [];
    list.push({ number, file });
    this.extensionsOf.set(extendee, list);
  }
}

/**
 * The answer to one request on one stream. A file comes with every file it
 * imports that this stream has not sent yet, as reflection clients expect.
 */
function answer(index: DescriptorIndex, request: ReflectionRequest, sent: Set<string>) {
  const original = { host: request.host, messageRequest: request.messageRequest } as never;
  const files = (file: DescFile | undefined, what: string) => {
    if (!file) return { validHost: request.host, originalRequest: original, messageResponse: { case: "errorResponse" as const, value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } } };
    const out: Uint8Array[] = [];
    const add = (f: DescFile) => {
      if (sent.has(f.proto.name)) return;
      sent.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      for (const dependency of f.dependencies) add(dependency);
    };
    add(file);
    return { validHost: request.host, originalRequest: original, messageResponse: { case: "fileDescriptorResponse" as const, value: { fileDescriptorProto: out } } };
  };
  const { messageRequest } = request;
  switch (messageRequest.case) {
    case "listServices":
      return {
        validHost: request.host,
        originalRequest: original,
        messageResponse: { case: "listServicesResponse" as const, value: { service: index.services.map((s) => ({ name: s.typeName })) } },
      };
    case "fileByFilename":
      // Each answer sends a requested file even if sent before: the client asked for it by name.
      sent.delete(messageRequest.value);
      return files(index.files.get(messageRequest.value), `file '${messageRequest.value}'`);
    case "fileContainingSymbol": {
      const file = index.fileOfSymbol.get(messageRequest.value.replace(/^\./, ""));
      if (file) sent.delete(file.proto.name);
      return files(file, `symbol '${messageRequest.value}'`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = messageRequest.value;
      const file = index.extensionsOf.get(containingType)?.find((e) => e.number === extensionNumber)?.file;
      if (file) sent.delete(file.proto.name);
      return files(file, `extension ${extensionNumber} of '${containingType}'`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = (index.extensionsOf.get(messageRequest.value) ?? []).map((e) => e.number);
      return {
        validHost: request.host,
        originalRequest: original,
        messageResponse: { case: "allExtensionNumbersResponse" as const, value: { baseTypeName: messageRequest.value, extensionNumber: numbers } },
      };
    }
    default:
      return { validHost: request.host, originalRequest: original, messageResponse: { case: "errorResponse" as const, value: { errorCode: Code.InvalidArgument, errorMessage: "the request names nothing to reflect" } } };
  }
}

/**
 * grpc.reflection v1 and v1alpha over the same index, so grpcurl, buf curl
 * and other reflection clients can list and call `services` without the
 * proto files.
 */
export function serverReflectionRpcs(services: readonly DescService[]): {
  v1: ServiceImpl<typeof ServerReflectionV1>;
  v1alpha: ServiceImpl<typeof ServerReflectionV1alpha>;
} {
  const index = new DescriptorIndex([...services, ServerReflectionV1, ServerReflectionV1alpha]);
  async function* stream(requests: AsyncIterable<ReflectionRequest>) {
    const sent = new Set<string>();
    for await (const request of requests) yield answer(index, request, sent);
  }
  return {
    v1: { serverReflectionInfo: (requests) => stream(requests as AsyncIterable<ReflectionRequest>) as never },
    v1alpha: { serverReflectionInfo: (requests) => stream(requests as AsyncIterable<ReflectionRequest>) as never },
  };
}
