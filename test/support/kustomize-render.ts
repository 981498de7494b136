import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";

const supportedFields = new Set(["apiVersion", "kind", "resources", "namespace"]);
/** Kinds that have no namespace; the others get the kustomization's. */
const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass", "CustomResourceDefinition"]);

/**
 * The part of kustomize that deploy/ uses, so tests need no kubectl: a
 * kustomization's `resources` (YAML files, one or more documents each, and
 * folders holding a kustomization) and its `namespace`, which is set on every
 * namespaced object and on RoleBinding subjects that are ServiceAccounts
 * without one, as kustomize does. Any other kustomization field is refused,
 * so a manifest never silently means more to kubectl than to the tests.
 * `namespace`, when given, acts as an overlay setting it.
 */
export function renderKustomization(folder: string, namespace?: string): KubernetesObject[] {
  const objects = renderFolder(resolve(folder));
  if (namespace) setNamespace(objects, namespace);
  refuseDuplicates(objects, folder);
  return objects;
}

function renderFolder(folder: string): KubernetesObject[] {
  const file = join(folder, "kustomization.yaml");
  const kustomization = parseAllDocuments(readFileSync(file, "utf8")).map((document) => document.toJS())[0] as Record<string, unknown> | null;
  if (!kustomization) throw new Error(`${file} is empty`);
  for (const field of Object.keys(kustomization)) {
    if (!supportedFields.has(field)) throw new Error(`${file}: "${field}" is not supported by the test renderer (only ${[...supportedFields].join(", ")})`);
  }
  const resources = (kustomization.resources ?? []) as string[];
  const objects = resources.flatMap((entry) => {
    const path = join(folder, entry);
    return statSync(path).isDirectory() ? renderFolder(path) : readManifests(path);
  });
  if (typeof kustomization.namespace === "string") setNamespace(objects, kustomization.namespace);
  return objects;
}

function readManifests(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      return document.toJS() as KubernetesObject | null;
    })
    .filter((object): object is KubernetesObject => object !== null);
}

function setNamespace(objects: KubernetesObject[], namespace: string): void {
  for (const object of objects) {
    if (clusterScoped.has(object.kind ?? "")) continue;
    object.metadata = { ...object.metadata, namespace };
    if (object.kind === "RoleBinding") {
      for (const subject of (object as { subjects?: { kind: string; namespace?: string }[] }).subjects ?? []) {
        if (subject.kind === "ServiceAccount" && !subject.namespace) subject.namespace = namespace;
      }
    }
  }
}

function refuseDuplicates(objects: KubernetesObject[], folder: string): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
    if (seen.has(id)) throw new Error(`${folder}: ${id} is declared twice`);
    seen.add(id);
  }
}
