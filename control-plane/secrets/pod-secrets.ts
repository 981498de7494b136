import { randomInt } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { levelAtLeast } from "../authz/levels.js";
import type { ProblemList } from "../errors/domain-errors.js";
import { podDefaults, type PodFields } from "../pods/pod-model.js";
import { podUrl } from "../pods/pod-view.js";
import { permissionRepository } from "../storage/permission-repository.js";
import type { SecretRepository } from "../storage/secret-repository.js";
import {
  fillText,
  missingRequiredValues,
  parseSecretSource,
  validateAddressTokens,
  validateReferences,
  type PodAddress,
  type SecretSource,
} from "./secret-placeholders.js";

/** The pod a secret_map belongs to: whose secrets `${secret:name}` means, and where it lives. */
export interface SecretMapOwner {
  tenantId: string;
  podId: string;
  /** The user who created the pod; null for pods made before pods had owners. */
  owner: string | null;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * The values behind a pod's secret_map (see secret-placeholders.ts for the
 * forms): checked when the pod is created, generated once per pod where a
 * value asks for randomness, shown to those who may see them, and resolved
 * in full only for the agent that runs the pod.
 */
export class PodSecrets {
  constructor(private readonly secrets: SecretRepository) {}

  /**
   * Problems with the secrets of a new pod's effective definition: values a
   * template leaves to the pod, addresses the pod lacks, references to keys
   * it lacks, and secrets its owner may not use.
   */
  async check(m: EntityManager, pod: SecretMapOwner, effective: PodFields, problems: ProblemList): Promise<void> {
    const secretMap = effective.secret_map ?? {};
    for (const { key, description } of missingRequiredValues(secretMap)) {
      problems.add(`secret_map.${key}`, `is required by the template: ${description}; set it in secret_map or template_overrides.secret_map`);
    }
    validateAddressTokens(secretMap, effective.networking ?? podDefaults.networking, problems);
    validateReferences(effective, problems);
    for (const [key, value] of Object.entries(secretMap)) {
      const source = parseSecretSource(value);
      if (source.kind !== "secret") continue;
      const problem = await this.unusable(m, pod, source);
      if (problem) problems.add(`secret_map.${key}`, problem);
    }
  }

  /** Generates the random values the pod's secret_map asks for and does not hold yet (or holds at another length). */
  async generate(tx: EntityManager, pod: SecretMapOwner, effective: PodFields): Promise<void> {
    if (!Object.values(effective.secret_map ?? {}).some((value) => parseSecretSource(value).kind === "random")) return;
    const held = await this.secrets.podValues(tx, pod.tenantId, pod.podId);
    for (const [key, value] of Object.entries(effective.secret_map ?? {})) {
      const source = parseSecretSource(value);
      if (source.kind !== "random" || held[key]?.length === source.length) continue;
      await this.secrets.setPodValue(tx, pod.tenantId, pod.podId, key, randomText(source.length));
    }
  }

  /** Forgets what the service keeps for a deleted pod: its generated values and its pod-scoped secrets. */
  async forget(tx: EntityManager, tenantId: string, podId: string): Promise<void> {
    await this.secrets.deletePodValues(tx, tenantId, podId);
    await this.secrets.deletePodScoped(tx, tenantId, podId);
  }

  /**
   * The secret_map as a reader sees it: text with its placeholders filled
   * in; generated values only when `revealGenerated` (they are passwords, for
   * those who may see credentials), else the placeholder; references to
   * secrets always as written.
   */
  async shown(m: EntityManager, pod: SecretMapOwner, effective: PodFields, revealGenerated: boolean, domain: string): Promise<Record<string, string>> {
    const generated = revealGenerated ? await this.secrets.podValues(m, pod.tenantId, pod.podId) : {};
    const address = addressOf(pod, effective, domain);
    return Object.fromEntries(
      Object.entries(effective.secret_map ?? {}).map(([key, value]) => {
        const source = parseSecretSource(value);
        if (source.kind === "text") return [key, fillText(source.text, address)];
        if (source.kind === "random") return [key, generated[key] ?? value];
        return [key, value];
      }),
    );
  }

  /**
   * Every value of the secret_map, for the agent; or why the pod cannot have
   * them. `domain` is the one the pod's URLs are formed under.
   */
  async resolveAll(m: EntityManager, pod: SecretMapOwner, effective: PodFields, domain: string): Promise<{ values: Record<string, string> } | { refusal: string }> {
    const values: Record<string, string> = {};
    // Most pods have no secret_map: spare them the reads (a resync builds every pod's desired state).
    if (Object.keys(effective.secret_map ?? {}).length === 0) return { values };
    const generated = await this.secrets.podValues(m, pod.tenantId, pod.podId);
    const address = addressOf(pod, effective, domain);
    for (const [key, value] of Object.entries(effective.secret_map ?? {})) {
      const source = parseSecretSource(value);
      if (source.kind === "text") values[key] = fillText(source.text, address);
      else if (source.kind === "random") {
        if (generated[key] === undefined) return { refusal: `secret_map.${key}: its generated value is missing; restart the pod to generate it` };
        values[key] = generated[key]!;
      } else {
        const problem = await this.unusable(m, pod, source);
        if (problem) return { refusal: `secret_map.${key}: ${problem}` };
        values[key] = (await this.secrets.value(m, pod.tenantId, source.secretId))!;
      }
    }
    return { values };
  }

  /**
   * The values `caller` may read: text and generated values, and the
   * secrets whose value the caller could read through the value call
   * (USER on the secret, and readable).
   */
  async resolveFor(m: EntityManager, caller: Caller, pod: SecretMapOwner, effective: PodFields, domain: string): Promise<Record<string, string>> {
    const all = await this.resolveAll(m, pod, effective, domain);
    const values = "values" in all ? all.values : {};
    const readable: Record<string, string> = {};
    for (const [key, value] of Object.entries(effective.secret_map ?? {})) {
      if (values[key] === undefined) continue;
      const source = parseSecretSource(value);
      if (source.kind !== "secret" || (await this.mayRead(m, caller, source.secretId))) readable[key] = values[key]!;
    }
    return readable;
  }

  private async mayRead(m: EntityManager, caller: Caller, secretId: string): Promise<boolean> {
    const secret = await this.secrets.find(m, caller.tenantId, secretId);
    if (!secret?.readable) return false;
    return caller.serviceAdmin || levelAtLeast(await permissionRepository.levelOf(m, caller.tenantId, "secret", secretId, caller.username), "USER");
  }

  /**
   * Why the pod's owner may not use the secret, or null: `${secret:name}`
   * names a secret the owner created, `${secret:owner:name}` one `owner`
   * created and shared with the pod's owner at USER or above; a pod-scoped
   * secret serves only its pod.
   */
  private async unusable(m: EntityManager, pod: SecretMapOwner, source: Extract<SecretSource, { kind: "secret" }>): Promise<string | null> {
    if (pod.owner === null) return `pod '${pod.podId}' has no owner whose secrets it could use`;
    const creator = source.owner ?? pod.owner;
    const secret = await this.secrets.find(m, pod.tenantId, source.secretId);
    if (!secret || secret.addedBy !== creator) return `secret '${source.secretId}' of ${creator} not found`;
    if (secret.scope === "pod" && secret.podId !== pod.podId) return `secret '${source.secretId}' belongs to pod '${secret.podId}'`;
    if (creator !== pod.owner && !levelAtLeast(await permissionRepository.levelOf(m, pod.tenantId, "secret", source.secretId, pod.owner), "USER")) {
      return `secret '${source.secretId}' of ${creator} is not shared with ${pod.owner} (USER is needed)`;
    }
    return null;
  }
}

function addressOf(pod: SecretMapOwner, effective: PodFields, domain: string): PodAddress {
  return { networking: effective.networking ?? podDefaults.networking, urlOf: (key) => podUrl(pod, key, effective.networking?.[key] ?? {}, domain) };
}

/** `length` letters and digits from a cryptographic source. */
function randomText(length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}
