import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { accessRules } from "../../control-plane/authz/access-rules.js";
import { publicServices } from "../../edge-gateway/public-services.js";
import { serviceVersion } from "../../shared/version.js";
import { buildOpenApiDocument, type Access } from "./openapi-document.js";

/**
 * Writes gen/openapi.json, the OpenAPI 3.1 document of the REST API, from
 * the proto contract: its http annotations and its comments (which the
 * generated code does not keep, so the descriptors come from `buf build`).
 * Run by `npm run generate`.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const descriptors = execFileSync(join(repoRoot, "node_modules", ".bin", "buf"), ["build", "-o", "-#format=binpb"], { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 });
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptors));

const access = new Map<string, Access>();
for (const [method, rule] of accessRules) {
  access.set(`${method.parent.typeName}/${method.name}`, rule.kind === "public" ? "public" : rule.kind === "object" ? "object" : "user");
}

const document = buildOpenApiDocument({
  title: "Tapis Pods Service",
  version: serviceVersion,
  description:
    "Run long-lived services from Docker images on Kubernetes, each reachable at its own URL. Every answer is the Tapis envelope " +
    '{"message", "metadata", "result", "status", "version"}. Authenticate with a Tapis access token in X-Tapis-Token. ' +
    "Pod ids `docs` and `openapi` are reserved: /v3/pods/docs and /v3/pods/openapi.json serve this document.",
  services: publicServices.map((service) => {
    const described = registry.getService(service.typeName);
    if (!described) throw new Error(`buf build did not describe ${service.typeName}`);
    return described;
  }),
  accessOf: (service, method) => access.get(`${service}/${method}`) ?? "user",
});
writeFileSync(join(repoRoot, "gen", "openapi.json"), JSON.stringify(document, null, 2) + "\n");
