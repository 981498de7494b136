import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import type { EnvReader } from "../shared/config/env-reader.js";
import { issuerOf, type TrustedTenant } from "./auth/tenant-keys.js";
import { tenantBoundNames, type TenantBounds } from "./pods/pod-limits.js";
import { claimNamePattern } from "./pods/pod-rules.js";

/*
 * The control plane's settings that are JSON files named by a PODS_*_FILE
 * variable. Each reader records every problem on `env`, naming the variable.
 */

/** The JSON object in the file that `name` names; undefined when unset or unusable (recorded). */
function readJsonObjectFile(env: EnvReader, name: string, shape: string): Record<string, unknown> | undefined {
  const file = env.optionalString(name);
  if (!file) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    env.invalid(name, `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  if (!isRecord(parsed)) {
    env.invalid(name, `${file} must hold ${shape}`);
    return undefined;
  }
  return parsed;
}

/** A file of {"<key>": "<string>"} (agent tokens). */
export function readStringMapFile(env: EnvReader, name: string): Record<string, string> | undefined {
  const parsed = readJsonObjectFile(env, name, "a JSON object of strings");
  if (parsed && Object.values(parsed).some((value) => typeof value !== "string")) {
    env.invalid(name, "must hold a JSON object of strings");
    return undefined;
  }
  return parsed as Record<string, string> | undefined;
}

/**
 * PODS_TENANT_KEYS_FILE: {"<tenant>": {"public_key": "<PEM>", "token_service":
 * "https://<tenant base>/v3/tokens"}}, or "base_url" instead of token_service,
 * as the Tenants API describes tenants.
 */
export function readTenantKeysFile(env: EnvReader): Record<string, TrustedTenant> | undefined {
  const name = "PODS_TENANT_KEYS_FILE";
  const parsed = readJsonObjectFile(env, name, "a JSON object of tenants");
  if (!parsed) return undefined;
  const tenants: Record<string, TrustedTenant> = {};
  for (const [tenantId, tenant] of Object.entries(parsed)) {
    const rule = `tenant '${tenantId}' must be {"public_key": "<PEM>", "token_service": "<url>"} (or "base_url" instead of token_service)`;
    const issuer = isRecord(tenant) ? issuerOf({ token_service: stringOrUndefined(tenant.token_service), base_url: stringOrUndefined(tenant.base_url) }) : undefined;
    if (!isRecord(tenant) || typeof tenant.public_key !== "string" || !issuer) {
      env.invalid(name, rule);
      continue;
    }
    try {
      if (createPublicKey(tenant.public_key).asymmetricKeyType !== "rsa") env.invalid(name, `key of tenant '${tenantId}' is not an RSA key`);
    } catch {
      env.invalid(name, `key of tenant '${tenantId}' is not a PEM public key`);
    }
    tenants[tenantId] = { publicKeyPem: tenant.public_key, issuer };
  }
  return tenants;
}

/** PODS_CLUSTER_CLAIMS_FILE: {"<cluster>": {"<claim>": ["<tenant>", ...]}}, the claims each declared cluster grants. */
export function readClusterClaimsFile(env: EnvReader): Record<string, Record<string, string[]>> {
  const name = "PODS_CLUSTER_CLAIMS_FILE";
  const shape = '{"<cluster>": {"<claim>": ["<tenant>", ...]}}';
  const parsed = readJsonObjectFile(env, name, shape);
  const claims: Record<string, Record<string, string[]>> = {};
  for (const [clusterId, grants] of Object.entries(parsed ?? {})) {
    if (!isRecord(grants)) {
      env.invalid(name, `cluster '${clusterId}' must map claims to tenants: ${shape}`);
      continue;
    }
    claims[clusterId] = {};
    for (const [claim, tenants] of Object.entries(grants)) {
      if (!claimNamePattern.test(claim)) env.invalid(name, `claim '${claim}' of cluster '${clusterId}' is not a PersistentVolumeClaim name`);
      if (!Array.isArray(tenants) || tenants.length === 0 || !tenants.every((t) => typeof t === "string" && t)) {
        env.invalid(name, `claim '${claim}' of cluster '${clusterId}' must list the tenants it is granted to`);
        continue;
      }
      claims[clusterId][claim] = tenants as string[];
    }
  }
  return claims;
}

/** PODS_TENANT_LIMITS_FILE: {"<tenant>": {"max_cpu": 12000, ...}}, tenants' own bounds. */
export function readTenantLimitsFile(env: EnvReader): Record<string, TenantBounds> {
  const name = "PODS_TENANT_LIMITS_FILE";
  const parsed = readJsonObjectFile(env, name, '{"<tenant>": {"max_cpu": <millicpus>, ...}}');
  const tenants: Record<string, TenantBounds> = {};
  for (const [tenantId, bounds] of Object.entries(parsed ?? {})) {
    if (!isRecord(bounds)) {
      env.invalid(name, `limits of tenant '${tenantId}' must be an object`);
      continue;
    }
    const own: TenantBounds = {};
    for (const [key, value] of Object.entries(bounds)) {
      if (!(tenantBoundNames as readonly string[]).includes(key)) env.invalid(name, `tenant '${tenantId}': unknown limit '${key}'; known: ${tenantBoundNames.join(", ")}`);
      else if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) env.invalid(name, `tenant '${tenantId}': ${key} must be a whole number of at least 0`);
      else own[key as keyof TenantBounds] = value;
    }
    tenants[tenantId] = own;
  }
  return tenants;
}

/**
 * PODS_OAUTH_CLIENTS_FILE: {"<tenant>": {"client_id": "...", "client_key": "..."}},
 * the Pods service's OAuth2 client in each tenant whose pods use tapis_auth.
 */
export function readOAuthClientsFile(env: EnvReader): Record<string, { clientId: string; clientKey: string }> {
  const name = "PODS_OAUTH_CLIENTS_FILE";
  const clients: Record<string, { clientId: string; clientKey: string }> = {};
  for (const [tenantId, client] of Object.entries(readJsonObjectFile(env, name, "a JSON object of tenants") ?? {})) {
    if (!isRecord(client) || typeof client.client_id !== "string" || !client.client_id || typeof client.client_key !== "string" || !client.client_key) {
      env.invalid(name, `tenant '${tenantId}' must be {"client_id": "<id>", "client_key": "<secret>"}`);
      continue;
    }
    clients[tenantId] = { clientId: client.client_id, clientKey: client.client_key };
  }
  return clients;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}
