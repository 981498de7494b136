import type { EntityManager } from "typeorm";
import type { Caller } from "../auth/caller.js";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { podChangedMessage } from "../events/pod-changed.js";
import { podLifecycleMessage } from "../events/pod-lifecycle-event.js";
import { changedStorageMounts, nextMountUsers } from "../files/mount-owners.js";
import type { StorageMounts } from "../files/storage-mounts.js";
import type { ActionLogRepository } from "../storage/action-log-repository.js";
import type { Database } from "../storage/database.js";
import type { PodCredentialsRepository } from "../storage/pod-credentials-repository.js";
import { isDuplicateKeyError } from "../storage/duplicate-key.js";
import { outboxRepository } from "../storage/outbox-repository.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { podLogRepository } from "../storage/pod-log-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import { applyTemplateOverrides, mergeOverTemplate } from "../templates/template-merge.js";
import { derivePodFields, parseTemplateRef, resolveTemplate } from "../templates/template-resolver.js";
import { requestRestart, requestStatus, requestStart, requestStop, runSecondsOf, timeToStopAt, type Transition } from "./pod-lifecycle.js";
import { podDefaults, type PodFields, type PodRecord, type StatusRequestedName, type VolumeMountSpec } from "./pod-model.js";
import { limitsFor, type SiteLimits } from "./pod-limits.js";
import { validateClaimGrants, validateHostLabels, validateOverriddenFields, validatePodFields, validatePodId } from "./pod-rules.js";
import { withValuesFilledIn } from "./derived-values.js";
import type { PodSecrets, SecretMapOwner } from "../secrets/pod-secrets.js";
import { validateReferences } from "../secrets/secret-placeholders.js";
import { refuseUnchanged } from "../errors/unchanged.js";
import { writeTransition } from "./pod-transition-writer.js";
import { podView, type PodView } from "./pod-view.js";

/** Picks the cluster that runs a compute queue. */
export interface Placement {
  clusterFor(computeQueue: string): Promise<string | undefined>;
  queues(): Promise<string[]>;
  /** The PersistentVolumeClaims of a cluster that pods of a tenant may mount. */
  claimsGrantedTo(clusterId: string, tenantId: string): Promise<string[]>;
  /** The domain registered for each cluster that has one. */
  domains(): Promise<ReadonlyMap<string, string>>;
}

/** The image allowlist, as pods need it. */
export interface ImagePolicy {
  /** Adds a problem on `field` unless `image` may run in pods of `tenantId`. */
  check(m: EntityManager, tenantId: string, image: string, problems: ProblemList, field?: string): Promise<void>;
}

export interface PodServiceDeps {
  db: Database;
  images: ImagePolicy;
  /** Where each pod's action history is kept, cut to its newest lines. */
  actionLog: ActionLogRepository;
  now: () => number;
  /** Called after a commit that wrote outbox rows, so the relay publishes promptly. */
  outboxWritten: () => void;
  placement: Placement;
  /** What pods may ask for, per tenant. */
  limits: SiteLimits;
  siteId: string;
  /** Pod URLs are formed under this domain unless the pod's cluster registered its own. */
  domain: string;
  newUid: () => string;
  newPassword: () => string;
  /** Where the generated credentials are kept (encrypted). */
  credentials: PodCredentialsRepository;
  /** The values behind pods' secret maps. */
  podSecrets: PodSecrets;
  /** Checks the volumes and snapshots a pod mounts. */
  storageMounts: StorageMounts;
}

/** A partial update: fields to set, and fields to clear back to their default. */
export interface PodPatch {
  set: PodFields;
  clear: (keyof PodFields)[];
  statusRequested?: StatusRequestedName;
}

const updatableFields: ReadonlySet<keyof PodFields> = new Set([
  "description",
  "command",
  "environment_variables",
  "volume_mounts",
  "time_to_stop_default",
  "time_to_stop_instance",
  "networking",
  "resources",
  "healthchecks",
]);

/**
 * The pod use cases behind the Pods API. Callers are already authorised for
 * the pod they name (see access-rules.ts); these methods enforce the rules of
 * the pod itself and keep every change and its event in one transaction.
 */
export class PodService {
  constructor(private readonly deps: PodServiceDeps) {}

  async create(caller: Caller, podId: string, fields: PodFields, statusRequested?: StatusRequestedName): Promise<PodView> {
    const problems = new ProblemList();
    validatePodId(podId, problems);
    const limits = limitsFor(this.deps.limits, caller.tenantId);
    validatePodFields(fields, limits, problems);
    if (statusRequested === "RESTART") problems.add("status_requested", "must be ON or OFF when creating a pod");
    problems.throwIfAny();
    // Template, rules and placement first: none of them writes, and placement may read the database.
    const template = fields.template ? await this.deps.db.read((m) => resolveTemplate(m, caller, fields.template!, { forNewPod: true })) : null;
    if (fields.template_overrides) {
      if (!template) throw new InvalidArgumentError("template_overrides", "needs a template to override");
      const overrideProblems = new ProblemList();
      validateOverriddenFields(applyTemplateOverrides(template.definition, fields.template_overrides), fields.template_overrides, limits, overrideProblems);
      overrideProblems.throwIfAny();
    }
    const templateVersion = template?.version ?? null;
    const effective = template ? mergeOverTemplate(template.definition, fields) : fields;
    if (!effective.image) throw new InvalidArgumentError("image", "an image or a template that names one is required");
    checkHostLabels(podId, effective.networking);
    await this.requireAllowedImage(caller.tenantId, effective.image);
    const secretProblems = new ProblemList();
    await this.deps.db.read((m) => this.deps.podSecrets.check(m, { tenantId: caller.tenantId, podId, owner: caller.username }, effective, secretProblems));
    secretProblems.throwIfAny();
    const clusterId = await this.clusterFor(effective.compute_queue ?? podDefaults.computeQueue);
    await this.checkClaims(effective, caller.tenantId, clusterId);
    await this.deps.storageMounts.check(caller, effective.volume_mounts, clusterId);
    const domain = await this.domainOf(clusterId);
    const now = this.deps.now();
    try {
      const pod = await this.deps.db.transaction(async (tx) => {
        if (await podRepository.find(tx, caller.tenantId, podId)) throw new AlreadyExistsError("pod", podId);
        const on = statusRequested !== "OFF";
        const record: PodRecord = {
          tenantId: caller.tenantId,
          podId,
          siteId: this.deps.siteId,
          uid: this.deps.newUid(),
          generation: 1,
          clusterId,
          fields,
          templateVersion,
          statusRequested: on ? "ON" : "OFF",
          status: on ? "REQUESTED" : "STOPPED",
          statusContainer: {},
          creationTs: now,
          updateTs: now,
          startInstanceTs: null,
          timeToStopTs: null,
          owner: caller.username,
          mountUsers: nextMountUsers({}, effective.volume_mounts, null, caller.username),
        };
        await podRepository.insert(tx, record);
        await this.deps.podSecrets.generate(tx, secretMapOwner(record), effective);
        await this.deps.credentials.insert(tx, {
          tenantId: caller.tenantId,
          podId,
          userUsername: podId,
          userPassword: this.deps.newPassword(),
          serviceUsername: "podsservice",
          servicePassword: this.deps.newPassword(),
        });
        await permissionRepository.set(tx, caller.tenantId, "pod", podId, caller.username, "ADMIN");
        const action = `Pod created by ${caller.username}.`;
        await this.deps.actionLog.add(tx, caller.tenantId, podId, now, action);
        const shown = await this.shownFields(tx, record, effective, true, domain);
        const lifecycle = podLifecycleMessage(record, null, { actor: caller.username, reason: action }, now);
        const writtenAt = this.deps.now();
        await outboxRepository.add(tx, on ? [podChangedMessage(record, false, writtenAt), lifecycle] : [lifecycle], writtenAt);
        return { record, shown };
      });
      this.deps.outboxWritten();
      return await this.view(pod.record, pod.shown);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AlreadyExistsError("pod", podId);
      throw error;
    }
  }

  /**
   * The pod as it runs: its own fields, then its template's, then defaults.
   * Generated secret_map values show only when `revealGenerated` (to those
   * who may see credentials).
   */
  async get(caller: Caller, podId: string, includeConfigs = false, revealGenerated = false): Promise<PodView> {
    const domainFor = await this.domains();
    const { pod, shown } = await this.deps.db.read(async (m) => {
      const pod = await this.find(m, caller.tenantId, podId);
      const effective = await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion);
      return { pod, shown: await this.shownFields(m, pod, effective, revealGenerated, domainFor(pod.clusterId)) };
    });
    return this.view(pod, shown, includeConfigs);
  }

  async list(caller: Caller): Promise<PodView[]> {
    const domainFor = await this.domains();
    const shown = await this.deps.db.read(async (m) => {
      const pods = await podRepository.listVisibleTo(m, caller.tenantId, caller.username);
      const cache = new Map<string, PodFields>();
      const out: { pod: PodRecord; fields: PodFields }[] = [];
      for (const pod of pods) {
        const effective = await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion, cache);
        out.push({ pod, fields: await this.shownFields(m, pod, effective, false, domainFor(pod.clusterId)) });
      }
      return out;
    });
    return shown.map(({ pod, fields }) => podView(pod, fields, { domain: domainFor(pod.clusterId), includeConfigs: false }));
  }

  /**
   * The pod with its template merged in. Credential placeholders are filled
   * in for those who may see credentials (`revealCredentials`); with
   * `resolveSecrets` (which the caller must be ADMIN to ask for) so are the
   * ${pods:secrets:KEY} references whose values the caller may read.
   */
  async derived(caller: Caller, podId: string, includeConfigs: boolean, options: { revealCredentials: boolean; resolveSecrets: boolean }): Promise<PodView> {
    const domainFor = await this.domains();
    const { pod, shown } = await this.deps.db.read(async (m) => {
      const pod = await this.find(m, caller.tenantId, podId);
      const domain = domainFor(pod.clusterId);
      const effective = await derivePodFields(m, caller.tenantId, pod.fields, pod.templateVersion);
      const credentials = options.revealCredentials ? await this.deps.credentials.find(m, caller.tenantId, podId) : null;
      const values = options.resolveSecrets ? await this.deps.podSecrets.resolveFor(m, caller, secretMapOwner(pod), effective, domain) : {};
      const shown = await this.shownFields(m, pod, effective, options.revealCredentials, domain);
      return { pod, shown: withValuesFilledIn(shown, credentials, values) };
    });
    return this.view(pod, shown, includeConfigs || options.resolveSecrets);
  }

  /** Changes apply on the next start; only status_requested acts at once. */
  async update(caller: Caller, podId: string, patch: PodPatch): Promise<PodView> {
    const problems = new ProblemList();
    for (const key of [...Object.keys(patch.set), ...patch.clear] as (keyof PodFields)[]) {
      if (!updatableFields.has(key)) problems.add(key, "cannot be changed after creation");
    }
    validatePodFields(patch.set, limitsFor(this.deps.limits, caller.tenantId), problems);
    validateHostLabels(podId, patch.set.networking, problems);
    problems.throwIfAny();
    // Before the transaction: the cluster registry (claims, domain) may read the database.
    const current = await this.deps.db.read((m) => this.find(m, caller.tenantId, podId));
    const mountsChange = patch.set.volume_mounts !== undefined || patch.clear.includes("volume_mounts");
    if (mountsChange) {
      await this.checkClaims(patch.set, caller.tenantId, current.clusterId);
      // Mounts left as they were keep their mounter; what changes must be the caller's to mount.
      const patched: PodFields = { ...current.fields, ...patch.set };
      for (const key of patch.clear) delete patched[key];
      await this.checkChangedMounts(caller, current, patched);
    }
    const domain = await this.domainOf(current.clusterId);
    return this.transition(caller, podId, async (pod, tx) => {
      // The status change goes first: starting forgets the old instance's
      // time to stop, which the patch may then set anew.
      const requested = patch.statusRequested ? requestStatus(pod, patch.statusRequested, caller.username) : null;
      const fields: PodFields = { ...(requested?.changes.fields ?? pod.fields), ...patch.set };
      for (const key of patch.clear) delete fields[key];
      // Unchanged means the pod shows the same: defaults and the template count.
      const named = [...Object.keys(patch.set), ...patch.clear] as (keyof PodFields & keyof PodView)[];
      const beforeFields = await derivePodFields(tx, caller.tenantId, pod.fields, pod.templateVersion);
      const before = podView(pod, beforeFields, { domain, includeConfigs: true });
      const afterFields = await derivePodFields(tx, caller.tenantId, fields, pod.templateVersion);
      const after = podView({ ...pod, fields }, afterFields, { domain, includeConfigs: true });
      const differs = [...named.filter((key) => canonicalJson(before[key]) !== canonicalJson(after[key])), ...(requested ? ["status_requested"] : [])];
      refuseUnchanged("pod", podId, [...named, ...(patch.statusRequested ? ["status_requested"] : [])].sort(), differs);
      if (patch.set.environment_variables !== undefined || patch.set.volume_mounts !== undefined) {
        const references = new ProblemList();
        validateReferences(afterFields, references);
        references.throwIfAny();
      }
      const changes: Partial<PodRecord> = { ...requested?.changes, fields };
      if (mountsChange) changes.mountUsers = nextMountUsers(beforeFields.volume_mounts, afterFields.volume_mounts, pod, caller.username);
      const running = (requested?.changes.statusRequested ?? pod.statusRequested) === "ON" && pod.status === "AVAILABLE";
      if (!requested && running && pod.startInstanceTs !== null) {
        const effective = await derivePodFields(tx, caller.tenantId, fields, pod.templateVersion);
        changes.timeToStopTs = timeToStopAt(runSecondsOf(effective), pod.startInstanceTs);
      }
      const changed = [...Object.keys(patch.set), ...patch.clear].sort().join(", ");
      const action = [changed ? `Pod updated by ${caller.username}: ${changed}.` : "", requested?.action ?? ""].filter(Boolean).join(" ");
      return { changes, notifyCluster: requested?.notifyCluster ?? false, action, actor: caller.username };
    });
  }

  /**
   * Adds mounts to the pod's own (a mount at a path it has replaces it);
   * like any change of mounts, effective from the pod's next start.
   */
  async attachVolumes(caller: Caller, podId: string, mounts: Record<string, VolumeMountSpec | null>): Promise<PodView> {
    if (Object.keys(mounts).length === 0) throw new InvalidArgumentError("volume_mounts", "name at least one mount to attach");
    const problems = new ProblemList();
    validatePodFields({ volume_mounts: mounts }, limitsFor(this.deps.limits, caller.tenantId), problems);
    problems.throwIfAny();
    const current = await this.deps.db.read((m) => this.find(m, caller.tenantId, podId));
    await this.checkClaims({ volume_mounts: mounts }, caller.tenantId, current.clusterId);
    await this.checkChangedMounts(caller, current, { ...current.fields, volume_mounts: { ...current.fields.volume_mounts, ...mounts } });
    return this.transition(caller, podId, async (pod, tx) => {
      const fields = { ...pod.fields, volume_mounts: { ...pod.fields.volume_mounts, ...mounts } };
      const [before, after] = [await derivePodFields(tx, pod.tenantId, pod.fields, pod.templateVersion), await derivePodFields(tx, pod.tenantId, fields, pod.templateVersion)];
      return {
        changes: { fields, mountUsers: nextMountUsers(before.volume_mounts, after.volume_mounts, pod, caller.username) },
        notifyCluster: false,
        action: `Volumes attached by ${caller.username}: ${Object.keys(mounts).sort().join(", ")}.`,
        actor: caller.username,
      };
    });
  }

  async delete(caller: Caller, podId: string): Promise<void> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (tx) => {
      const pod = await this.find(tx, caller.tenantId, podId, true);
      await podRepository.delete(tx, caller.tenantId, podId);
      await this.deps.podSecrets.forget(tx, caller.tenantId, podId);
      const gone = { ...pod, generation: pod.generation + 1 };
      const lifecycle = podLifecycleMessage(gone, pod.status, { actor: caller.username, reason: `Pod deleted by ${caller.username}.`, deleted: true }, now);
      const writtenAt = this.deps.now();
      await outboxRepository.add(tx, [podChangedMessage(gone, true, writtenAt), lifecycle], writtenAt);
    });
    this.deps.outboxWritten();
  }

  stop(caller: Caller, podId: string): Promise<PodView> {
    return this.transition(caller, podId, (pod) => requestStop(pod, caller.username));
  }

  start(caller: Caller, podId: string): Promise<PodView> {
    return this.transition(caller, podId, (pod) => requestStart(pod, caller.username));
  }

  /** `grabLatestTemplateTag` moves a templated pod to the newest version of its tag. */
  async restart(caller: Caller, podId: string, grabLatestTemplateTag: boolean): Promise<PodView> {
    return this.transition(caller, podId, async (pod, tx) => {
      const transition = requestRestart(pod, caller.username);
      if (!grabLatestTemplateTag || !pod.fields.template) return transition;
      const ref = parseTemplateRef(pod.fields.template);
      const latest = await resolveTemplate(tx, caller, ref.tagTimestamp ? `${ref.templateId}:${ref.tag}` : pod.fields.template);
      const moved = mergeOverTemplate(latest.definition, pod.fields);
      const problems = new ProblemList();
      await this.deps.images.check(tx, caller.tenantId, moved.image ?? "", problems);
      await this.deps.podSecrets.check(tx, secretMapOwner(pod), moved, problems);
      problems.throwIfAny();
      // Mounts the newer version adds or changes become the caller's, who must be allowed them.
      const before = (await derivePodFields(tx, pod.tenantId, pod.fields, pod.templateVersion)).volume_mounts;
      await this.deps.storageMounts.check(caller, changedStorageMounts(before, moved.volume_mounts), pod.clusterId, tx);
      await this.deps.podSecrets.generate(tx, secretMapOwner(pod), moved);
      return {
        ...transition,
        changes: { ...transition.changes, templateVersion: latest.version, mountUsers: nextMountUsers(before, moved.volume_mounts, pod, caller.username) },
        action: `${transition.action} Template moved to ${latest.label}.`,
      };
    });
  }

  async logs(caller: Caller, podId: string): Promise<{ logs: string; actionLogs: string[] }> {
    return this.deps.db.read(async (m) => {
      await this.find(m, caller.tenantId, podId);
      return {
        logs: await podLogRepository.live(m, caller.tenantId, podId),
        actionLogs: await this.deps.actionLog.list(m, caller.tenantId, podId),
      };
    });
  }

  async credentials(caller: Caller, podId: string): Promise<{ userUsername: string; userPassword: string }> {
    const row = await this.deps.db.read((m) => this.deps.credentials.find(m, caller.tenantId, podId));
    if (!row) throw new NotFoundError("pod", podId);
    return { userUsername: row.userUsername, userPassword: row.userPassword };
  }

  private async transition(
    caller: Caller,
    podId: string,
    decide: (pod: PodRecord, tx: EntityManager) => Transition | null | Promise<Transition | null>,
  ): Promise<PodView> {
    const now = this.deps.now();
    const domainFor = await this.domains();
    const { pod, shown, wroteEvents } = await this.deps.db.transaction(async (tx) => {
      const current = await this.find(tx, caller.tenantId, podId, true);
      const transition = await decide(current, tx);
      const written = transition ? await writeTransition(tx, current, transition, now, { actionLog: this.deps.actionLog, clock: this.deps.now }) : null;
      const pod = written?.pod ?? current;
      const effective = await derivePodFields(tx, pod.tenantId, pod.fields, pod.templateVersion);
      // Every transition needs USER or more, which may see credentials.
      return { pod, shown: await this.shownFields(tx, pod, effective, true, domainFor(pod.clusterId)), wroteEvents: written?.wroteEvents ?? false };
    });
    if (wroteEvents) this.deps.outboxWritten();
    return this.view(pod, shown);
  }


  private async find(m: EntityManager, tenantId: string, podId: string, forUpdate = false): Promise<PodRecord> {
    const pod = forUpdate ? await podRepository.findForUpdate(m, tenantId, podId) : await podRepository.find(m, tenantId, podId);
    if (!pod) throw new NotFoundError("pod", podId);
    return pod;
  }

  /** Checks, as the caller's, the volume and snapshot mounts that `fields` add to the pod or change. */
  private async checkChangedMounts(caller: Caller, pod: PodRecord, fields: PodFields): Promise<void> {
    const changed = await this.deps.db.read(async (m) => {
      const before = await derivePodFields(m, pod.tenantId, pod.fields, pod.templateVersion);
      const after = await derivePodFields(m, pod.tenantId, fields, pod.templateVersion);
      return changedStorageMounts(before.volume_mounts, after.volume_mounts);
    });
    await this.deps.storageMounts.check(caller, changed, pod.clusterId);
  }

  /** Refuses mounts of claims the pod's cluster does not grant to its tenant. */
  private async checkClaims(effective: PodFields, tenantId: string, clusterId: string): Promise<void> {
    const pvcs = Object.values(effective.volume_mounts ?? {}).some((mount) => mount?.type === "pvc");
    if (!pvcs) return;
    const problems = new ProblemList();
    validateClaimGrants(effective.volume_mounts, await this.deps.placement.claimsGrantedTo(clusterId, tenantId), { tenantId, clusterId }, problems);
    problems.throwIfAny();
  }

  private async requireAllowedImage(tenantId: string, image: string): Promise<void> {
    const problems = new ProblemList();
    await this.deps.db.read((m) => this.deps.images.check(m, tenantId, image, problems));
    problems.throwIfAny();
  }

  private async clusterFor(queue: string): Promise<string> {
    const clusterId = await this.deps.placement.clusterFor(queue);
    if (!clusterId) {
      throw new InvalidArgumentError("compute_queue", `no cluster serves queue '${queue}'; available: ${(await this.deps.placement.queues()).join(", ")}`);
    }
    return clusterId;
  }

  /** The effective fields with the secret_map as a reader sees it (see PodSecrets.shown). */
  private async shownFields(m: EntityManager, pod: PodRecord, effective: PodFields, revealGenerated: boolean, domain: string): Promise<PodFields> {
    if (!effective.secret_map || Object.keys(effective.secret_map).length === 0) return effective;
    return { ...effective, secret_map: await this.deps.podSecrets.shown(m, secretMapOwner(pod), effective, revealGenerated, domain) };
  }

  /** Reads the cluster registry: never call it inside a database call. */
  private async view(pod: PodRecord, fields: PodFields, includeConfigs = false): Promise<PodView> {
    return podView(pod, fields, { domain: await this.domainOf(pod.clusterId), includeConfigs });
  }

  /** The domain pod URLs are formed under: the cluster's registered one, else the site's. */
  private async domainOf(clusterId: string): Promise<string> {
    return (await this.domains())(clusterId);
  }

  /** domainOf for every cluster at once, read before a database call: the cluster registry may read the database. */
  private async domains(): Promise<(clusterId: string) => string> {
    const registered = await this.deps.placement.domains();
    return (clusterId) => registered.get(clusterId) || this.deps.domain;
  }
}

/** Refuses entries whose host names could not exist, whichever of the pod and its template set them. */
function checkHostLabels(podId: string, networking: PodFields["networking"]): void {
  const problems = new ProblemList();
  validateHostLabels(podId, networking, problems);
  problems.throwIfAny();
}

function secretMapOwner(pod: PodRecord): SecretMapOwner {
  return { tenantId: pod.tenantId, podId: pod.podId, owner: pod.owner ?? null };
}

/** JSON with object keys in order, so that equal values compare equal however their keys were sent. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))) : item,
  ) ?? "undefined";
}
