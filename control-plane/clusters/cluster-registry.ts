import { randomBytes, randomUUID } from "node:crypto";
import type { AgentCredentials } from "../auth/agent-credentials.js";
import { sha256 } from "../auth/secret-digest.js";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, ProblemList } from "../errors/domain-errors.js";
import { refuseUnchanged } from "../errors/unchanged.js";
import type { Placement } from "../pods/pod-service.js";
import type { Database } from "../storage/database.js";
import { isDuplicateKeyError } from "../storage/duplicate-key.js";
import { claimNamePattern } from "../pods/pod-rules.js";
import { isDnsName } from "../edge/pod-hosts.js";
import { AgentTokenEntity, ClusterEntity, type AgentTokenRow, type ClaimGrantSpec, type ClusterRow, type ComputeQueueSpec } from "../storage/entities/cluster-entity.js";
import { PodEntity } from "../storage/entities/pod-entity.js";

/** What an operator may set on a cluster. */
export interface ClusterFields {
  description?: string;
  computeQueues?: ComputeQueueSpec[];
  namespace?: string;
  volumeStorageClass?: string;
  domain?: string;
  claims?: ClaimGrantSpec[];
}

/** Clusters declared in configuration: their queues, and the claims each grants to tenants. */
export interface DeclaredClusters {
  queues: Record<string, string[]>;
  /** Cluster id -> claim name -> tenants; a cluster named here has exactly these grants. */
  claims: Record<string, Record<string, string[]>>;
}

const clusterIdPattern = /^[a-z][a-z0-9-]{1,62}$/;
const queuePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The clusters pods run on and the credentials of their agents. Clusters come
 * from the Clusters API and from PODS_CLUSTERS (recorded at start); a pod's
 * compute queue selects the cluster that serves it. Every replica reads the
 * same tables and refreshes its view every few seconds.
 */
export class ClusterRegistry implements Placement, AgentCredentials {
  private view: { clusters: ClusterRow[]; tokens: Map<string, string>; domains: Map<string, string>; at: number } | null = null;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly refreshMs = 5_000,
  ) {}

  /**
   * Records clusters named in configuration that the database does not know
   * yet, and sets the claim grants of those the configuration grants claims on.
   */
  async declare(declared: DeclaredClusters): Promise<void> {
    const now = this.now();
    const grantsOf = (clusterId: string) =>
      Object.entries(declared.claims[clusterId] ?? {}).map(([claim_name, tenants]) => ({ claim_name, tenants: [...tenants] }));
    // Replicas starting together may race to record the same cluster; one record is all that matters.
    await this.db.transaction(async (tx) => {
      for (const [clusterId, queues] of Object.entries(declared.queues)) {
        const existing = await tx.findOne(ClusterEntity, { where: { clusterId } });
        if (existing) {
          if (declared.claims[clusterId]) await tx.update(ClusterEntity, { clusterId }, { claims: grantsOf(clusterId) });
          continue;
        }
        await tx.insert(ClusterEntity, {
          clusterId,
          description: "Declared in the control plane's configuration",
          computeQueues: queues.map((name) => ({ name, node_selector: {}, tolerations: [] })),
          namespace: "pods",
          volumeStorageClass: "",
          domain: "",
          claims: grantsOf(clusterId),
          creationTs: now,
          updateTs: now,
        });
      }
    }).catch((error: unknown) => {
      if (!isDuplicateKeyError(error)) throw error;
    });
    this.view = null;
  }

  async clusterFor(queue: string): Promise<string | undefined> {
    return (await this.current()).clusters.find((cluster) => cluster.computeQueues.some((q) => q.name === queue))?.clusterId;
  }

  /** The node selector and tolerations registered for a cluster's queue. */
  async queuePlacement(clusterId: string, queue: string): Promise<{ nodeSelector: Record<string, string>; tolerations: string[] } | undefined> {
    const spec = (await this.current()).clusters.find((c) => c.clusterId === clusterId)?.computeQueues.find((q) => q.name === queue);
    return spec && { nodeSelector: spec.node_selector, tolerations: spec.tolerations };
  }

  /** The PersistentVolumeClaims of a cluster that pods of `tenantId` may mount. */
  async claimsGrantedTo(clusterId: string, tenantId: string): Promise<string[]> {
    const cluster = (await this.current()).clusters.find((c) => c.clusterId === clusterId);
    return (cluster?.claims ?? []).filter((grant) => grant.tenants.includes(tenantId)).map((grant) => grant.claim_name);
  }

  async domainOf(clusterId: string): Promise<string | undefined> {
    return (await this.current()).domains.get(clusterId);
  }

  /** The domain registered for each cluster that has one, by cluster id. */
  async domains(): Promise<ReadonlyMap<string, string>> {
    return (await this.current()).domains;
  }

  async queues(): Promise<string[]> {
    return [...new Set((await this.current()).clusters.flatMap((cluster) => cluster.computeQueues.map((q) => q.name)))];
  }

  /** The cluster an agent token belongs to. */
  async agentCluster(secret: string): Promise<string | null> {
    const digest = secretHash(secret);
    const cached = (await this.current()).tokens.get(digest);
    if (cached) return cached;
    // A token made a moment ago on another replica: look once more before refusing.
    const row = await this.db.read((m) => m.findOne(AgentTokenEntity, { where: { secretSha256: digest } }));
    return row?.clusterId ?? null;
  }

  list(): Promise<ClusterRow[]> {
    return this.db.read((m) => m.find(ClusterEntity, { order: { clusterId: "ASC" } }));
  }

  async get(clusterId: string): Promise<ClusterRow> {
    const row = await this.db.read((m) => m.findOne(ClusterEntity, { where: { clusterId } }));
    if (!row) throw new NotFoundError("cluster", clusterId);
    return row;
  }

  async create(clusterId: string, fields: ClusterFields): Promise<ClusterRow> {
    const problems = new ProblemList();
    if (!clusterIdPattern.test(clusterId)) problems.add("cluster_id", "must be 2-63 lowercase letters, digits and '-', starting with a letter");
    await this.validate(fields, clusterId, problems);
    problems.throwIfAny();
    const now = this.now();
    const row: ClusterRow = {
      clusterId,
      description: fields.description ?? "",
      computeQueues: fields.computeQueues ?? [],
      namespace: fields.namespace || "pods",
      volumeStorageClass: fields.volumeStorageClass ?? "",
      domain: fields.domain ?? "",
      claims: fields.claims ?? [],
      creationTs: now,
      updateTs: now,
    };
    await this.db.transaction(async (tx) => {
      if (await tx.findOne(ClusterEntity, { where: { clusterId } })) throw new AlreadyExistsError("cluster", clusterId);
      await tx.insert(ClusterEntity, row);
    });
    this.view = null;
    return row;
  }

  async update(clusterId: string, fields: ClusterFields): Promise<ClusterRow> {
    const problems = new ProblemList();
    await this.validate(fields, clusterId, problems);
    problems.throwIfAny();
    const row = await this.db.transaction(async (tx) => {
      const current = await tx.findOne(ClusterEntity, { where: { clusterId } });
      if (!current) throw new NotFoundError("cluster", clusterId);
      const defined = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
      const changed = Object.keys(defined).filter((key) => JSON.stringify(defined[key]) !== JSON.stringify(current[key as keyof ClusterRow]));
      refuseUnchanged("cluster", clusterId, Object.keys(defined).map(restName), changed);
      const updated: ClusterRow = { ...current, ...defined, updateTs: this.now() };
      await tx.save(ClusterEntity, updated);
      return updated;
    });
    this.view = null;
    return row;
  }

  /** Refused while pods are placed on the cluster. */
  async delete(clusterId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await tx.findOne(ClusterEntity, { where: { clusterId } }))) throw new NotFoundError("cluster", clusterId);
      const placed = await tx.count(PodEntity, { where: { clusterId } });
      if (placed > 0) throw new FailedPreconditionError(`cluster '${clusterId}' still runs ${placed} pod(s); delete or move them first`);
      await tx.delete(AgentTokenEntity, { clusterId });
      await tx.delete(ClusterEntity, { clusterId });
    });
    this.view = null;
  }

  /** A new agent credential for the cluster; the secret exists only in the answer. */
  async createAgentToken(clusterId: string, description: string): Promise<AgentTokenRow & { secret: string }> {
    await this.get(clusterId);
    const secret = `pods-agent-${randomBytes(24).toString("base64url")}`;
    const row: AgentTokenRow = { tokenId: randomUUID(), clusterId, secretSha256: secretHash(secret), description, creationTs: this.now() };
    await this.db.transaction((tx) => tx.insert(AgentTokenEntity, row));
    this.view = null;
    return { ...row, secret };
  }

  private async validate(fields: ClusterFields, clusterId: string, problems: ProblemList): Promise<void> {
    if (fields.namespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(fields.namespace)) problems.add("namespace", "must be a Kubernetes namespace name");
    if (fields.domain && !isDnsName(fields.domain)) problems.add("domain", "must be a DNS name (labels of letters, digits and '-', separated by dots)");
    if (fields.description && fields.description.length > 2048) problems.add("description", "must be at most 2048 characters");
    const others = (await this.list()).filter((cluster) => cluster.clusterId !== clusterId);
    (fields.computeQueues ?? []).forEach((queue, index) => {
      if (!queuePattern.test(queue.name)) problems.add(`compute_queues[${index}].name`, "must be 1-63 lowercase letters, digits, '_' and '-'");
      const owner = others.find((cluster) => cluster.computeQueues.some((q) => q.name === queue.name));
      if (owner) problems.add(`compute_queues[${index}].name`, `queue '${queue.name}' is already served by cluster '${owner.clusterId}'`);
    });
    (fields.claims ?? []).forEach((grant, index) => {
      if (!claimNamePattern.test(grant.claim_name)) problems.add(`claims[${index}].claim_name`, "must be a PersistentVolumeClaim name (lowercase letters, digits and '-', at most 63)");
      if (grant.tenants.length === 0 || grant.tenants.some((tenant) => !tenant)) problems.add(`claims[${index}].tenants`, "must name at least one tenant");
    });
  }

  private async current(): Promise<NonNullable<ClusterRegistry["view"]>> {
    if (!this.view || this.now() - this.view.at > this.refreshMs) {
      this.loading ??= this.load().finally(() => (this.loading = null));
      await this.loading;
    }
    return this.view!;
  }

  private async load(): Promise<void> {
    const [clusters, tokens] = await this.db.read(async (m) => [
      await m.find(ClusterEntity, { order: { creationTs: "ASC", clusterId: "ASC" } }),
      await m.find(AgentTokenEntity),
    ] as const);
    const domains = new Map(clusters.filter((c) => c.domain).map((c) => [c.clusterId, c.domain]));
    this.view = { clusters, tokens: new Map(tokens.map((t) => [t.secretSha256, t.clusterId])), domains, at: this.now() };
  }
}

/** How an agent token is stored: hex SHA-256, never the secret. */
function secretHash(secret: string): string {
  return sha256(secret).toString("hex");
}

/** "computeQueues" -> "compute_queues": fields as REST clients name them. */
function restName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
