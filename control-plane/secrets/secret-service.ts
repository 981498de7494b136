import type { Caller } from "../auth/caller.js";
import type { ObjectAccess } from "../authz/object-access.js";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { refuseUnchanged } from "../errors/unchanged.js";
import type { Database } from "../storage/database.js";
import { isDuplicateKeyError } from "../storage/duplicate-key.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import type { SecretMetadata, SecretRepository } from "../storage/secret-repository.js";
import { validateNewSecret, validateSecretDescription, validateSecretValue, type NewSecret } from "./secret-rules.js";

export interface SecretServiceDeps {
  db: Database;
  now: () => number;
  secrets: SecretRepository;
  /** To check that the creator of a pod-scoped secret administers the pod. */
  objects: Pick<ObjectAccess, "require">;
}

/** What an update changes: the fields the request named and their values. */
export interface SecretUpdate {
  description?: string;
  secretValue?: string;
}

/**
 * Secrets: values pods use through secret_map without the values ever
 * showing in a pod. Callers are already authorised for the secret they name
 * (access-rules.ts); the value leaves only through `value`, and only when
 * the secret is readable.
 */
export class SecretService {
  constructor(private readonly deps: SecretServiceDeps) {}

  /** The creator becomes ADMIN. A pod-scoped secret needs ADMIN on its pod. */
  async create(caller: Caller, secret: NewSecret): Promise<SecretMetadata> {
    const problems = new ProblemList();
    validateNewSecret(secret, problems);
    problems.throwIfAny();
    const scope = secret.scope ?? "user";
    if (scope === "pod") {
      const pod = await this.deps.db.read((m) => podRepository.find(m, caller.tenantId, secret.podId!));
      if (!pod) throw new InvalidArgumentError("pod_id", `pod '${secret.podId}' not found`);
      await this.deps.objects.require(caller, "pod", secret.podId!, "ADMIN");
    }
    const now = this.deps.now();
    const row = {
      tenantId: caller.tenantId,
      secretId: secret.secretId,
      scope,
      podId: scope === "pod" ? secret.podId! : null,
      description: secret.description,
      readable: secret.readable ?? true,
      writable: secret.writable ?? true,
      skSecretName: `pods_${caller.tenantId}_${scope === "pod" ? `pod+${secret.podId}` : `user+${caller.username}`}+${secret.secretId}`,
      secretValue: secret.secretValue,
      addedBy: caller.username,
      creationTs: now,
      updateTs: now,
    };
    try {
      await this.deps.db.transaction(async (tx) => {
        if (await this.deps.secrets.find(tx, caller.tenantId, secret.secretId)) throw new AlreadyExistsError("secret", secret.secretId);
        await this.deps.secrets.insert(tx, row);
        await permissionRepository.set(tx, caller.tenantId, "secret", secret.secretId, caller.username, "ADMIN");
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AlreadyExistsError("secret", secret.secretId);
      throw error;
    }
    const { secretValue: _value, ...metadata } = row;
    return metadata;
  }

  /** The secrets the caller holds a grant on; service admins see every secret of their tenant. */
  list(caller: Caller): Promise<SecretMetadata[]> {
    return this.deps.db.read((m) => this.deps.secrets.listVisibleTo(m, caller.tenantId, caller.serviceAdmin ? null : caller.username));
  }

  get(caller: Caller, secretId: string): Promise<SecretMetadata> {
    return this.deps.db.read(async (m) => (await this.deps.secrets.find(m, caller.tenantId, secretId)) ?? notFound(secretId));
  }

  /** Changes the description, or the value when the secret is writable; refuses a change of nothing. */
  async update(caller: Caller, secretId: string, update: SecretUpdate): Promise<SecretMetadata> {
    const problems = new ProblemList();
    if (update.description !== undefined) validateSecretDescription(update.description, problems);
    if (update.secretValue !== undefined) validateSecretValue(update.secretValue, problems);
    problems.throwIfAny();
    const now = this.deps.now();
    return this.deps.db.transaction(async (tx) => {
      const secret = (await this.deps.secrets.findForUpdate(tx, caller.tenantId, secretId)) ?? notFound(secretId);
      const given = [...(update.description !== undefined ? ["description"] : []), ...(update.secretValue !== undefined ? ["secret_value"] : [])];
      const newValue = update.secretValue !== undefined && update.secretValue !== (await this.deps.secrets.value(tx, caller.tenantId, secretId));
      const changed = [...(update.description !== undefined && update.description !== secret.description ? ["description"] : []), ...(newValue ? ["secret_value"] : [])];
      refuseUnchanged("secret", secretId, given, changed);
      if (newValue && !secret.writable) throw new InvalidArgumentError("secret_value", `secret '${secretId}' is not writable (writable=false)`);
      const changes = { updateTs: now, ...(changed.includes("description") ? { description: update.description! } : {}), ...(newValue ? { secretValue: update.secretValue! } : {}) };
      await this.deps.secrets.update(tx, caller.tenantId, secretId, changes);
      const { secretValue: _value, ...metadata } = { ...secret, ...changes };
      return metadata;
    });
  }

  async delete(caller: Caller, secretId: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      (await this.deps.secrets.findForUpdate(tx, caller.tenantId, secretId)) ?? notFound(secretId);
      await this.deps.secrets.delete(tx, caller.tenantId, secretId);
    });
  }

  /** The secret's value; refused for a secret made unreadable (pods still use it). */
  async value(caller: Caller, secretId: string): Promise<string> {
    return this.deps.db.read(async (m) => {
      const secret = (await this.deps.secrets.find(m, caller.tenantId, secretId)) ?? notFound(secretId);
      if (!secret.readable) throw new FailedPreconditionError(`secret '${secretId}' is not readable: pods may use it, but its value is never shown (readable=false)`);
      return (await this.deps.secrets.value(m, caller.tenantId, secretId))!;
    });
  }
}

function notFound(secretId: string): never {
  throw new NotFoundError("secret", secretId);
}
