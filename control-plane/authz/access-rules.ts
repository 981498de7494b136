import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { PodWatchService } from "../../gen/tapis/pods/v1/watch_service_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { DevIdentityService } from "../../gen/tapis/identity/v1/dev_identity_service_pb.js";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";
import { ClustersService } from "../../gen/tapis/pods/v1/clusters_service_pb.js";
import { EdgeService } from "../../gen/tapis/pods/v1/edge_service_pb.js";
import { ExecSessionService } from "../../gen/tapis/pods/v1/exec_session_service_pb.js";
import { ImagesService } from "../../gen/tapis/pods/v1/images_service_pb.js";
import { JupyterService } from "../../gen/tapis/pods/v1/jupyter_service_pb.js";
import { MiscService } from "../../gen/tapis/pods/v1/misc_service_pb.js";
import { PodAuthService } from "../../gen/tapis/pods/v1/pod_auth_service_pb.js";
import { PodAccessGateService } from "../../gen/tapis/pods/v1/pod_access_gate_service_pb.js";
import { PodFilesService } from "../../gen/tapis/pods/v1/pod_files_service_pb.js";
import { PodHistoryService } from "../../gen/tapis/pods/v1/pod_history_service_pb.js";
import { PodsService } from "../../gen/tapis/pods/v1/pods_service_pb.js";
import { ReplicaService } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { SecretsService } from "../../gen/tapis/pods/v1/secrets_service_pb.js";
import { SnapshotsService } from "../../gen/tapis/pods/v1/snapshots_service_pb.js";
import { TemplatesService } from "../../gen/tapis/pods/v1/templates_service_pb.js";
import { VolumesService } from "../../gen/tapis/pods/v1/volumes_service_pb.js";
import type { LevelName, ObjectKind } from "../storage/entities/permission-entity.js";

/**
 * Who may call an RPC:
 * - public: anyone, no token (health, proxy hooks, login);
 * - user: any authenticated Tapis user of the tenant;
 * - object: a user holding `levelOf(request)` on the object the request
 *   names (for a streaming call, its first message): most RPCs need one
 *   level, some more when the request asks for more;
 * - service-admin: an operator of this installation;
 * - agent: an agent authenticated as its cluster;
 * - replica: another control-plane replica (shared replica token).
 */
export type AccessRule =
  | { kind: "public" }
  | { kind: "user" }
  | { kind: "object"; object: ObjectKind; levelOf: (request: unknown) => LevelName; idOf: (request: unknown) => string }
  | { kind: "service-admin" }
  | { kind: "agent" }
  | { kind: "replica" };

const publicAccess: AccessRule = { kind: "public" };
const anyUser: AccessRule = { kind: "user" };
const serviceAdmin: AccessRule = { kind: "service-admin" };
const agent: AccessRule = { kind: "agent" };
const replica: AccessRule = { kind: "replica" };

function on(object: ObjectKind, field: string, level: LevelName | ((request: unknown) => LevelName)): AccessRule {
  return { kind: "object", object, levelOf: typeof level === "function" ? level : () => level, idOf: (request) => String((request as Record<string, unknown>)[field] ?? "") };
}

/** `level`, or ADMIN when the request asks for the dependents of template tags (which name the tenant's pods). */
function unlessDependencies(level: LevelName): (request: unknown) => LevelName {
  return (request) => ((request as { includeDependencies?: boolean }).includeDependencies ? "ADMIN" : level);
}

/** `pod_id_net` is a pod id optionally followed by "-<networking key>". */
function onPodNet(level: LevelName): AccessRule {
  return {
    kind: "object",
    object: "pod",
    levelOf: () => level,
    idOf: (request) => String((request as { podIdNet?: string }).podIdNet ?? "").split("-")[0]!,
  };
}

const pod = (level: LevelName) => on("pod", "podId", level);
const template = (level: LevelName | ((request: unknown) => LevelName)) => on("template", "templateId", level);
const volume = (level: LevelName) => on("volume", "volumeId", level);
const snapshot = (level: LevelName) => on("snapshot", "snapshotId", level);
const secret = (level: LevelName) => on("secret", "secretId", level);

type RulesFor<S extends DescService> = { [K in keyof S["method"]]: AccessRule };

function rulesFor<S extends DescService>(service: S, rules: RulesFor<S>): [DescMethod, AccessRule][] {
  return service.methods.map((method) => [method, (rules as Record<string, AccessRule>)[method.localName]!]);
}

/** The access rule of every RPC the control plane serves. */
export const accessRules: ReadonlyMap<DescMethod, AccessRule> = new Map([
  ...rulesFor(PodsService, {
    listPods: anyUser,
    createPod: anyUser,
    getPod: pod("READ"),
    updatePod: pod("USER"),
    deletePod: pod("ADMIN"),
    getDerivedPod: pod("READ"),
    getPodCredentials: pod("USER"),
    getPodLogs: pod("READ"),
    getPodPermissions: pod("USER"),
    setPodPermission: pod("ADMIN"),
    deletePodPermission: pod("ADMIN"),
    execPodCommands: pod("ADMIN"),
    uploadToPod: pod("ADMIN"),
    stopPod: pod("ADMIN"),
    startPod: pod("ADMIN"),
    restartPod: pod("ADMIN"),
    savePodAsTemplateTag: onPodNet("ADMIN"),
    attachPodVolumes: pod("USER"),
  }),
  ...rulesFor(PodAccessGateService, {
    // Visitors have no Tapis account: the gate and its redemptions answer everyone alike.
    podAccessGate: publicAccess,
    podAccessGateRedeemLink: publicAccess,
    podAccessGateRedeemForm: publicAccess,
    listPodAccessTokens: pod("USER"),
    createPodAccessToken: pod("USER"),
    revokePodAccessToken: pod("USER"),
    getPodAccessGateAudit: pod("USER"),
  }),
  ...rulesFor(PodFilesService, {
    listFilesInPod: pod("ADMIN"),
    downloadFromPod: pod("ADMIN"),
  }),
  ...rulesFor(PodHistoryService, {
    getPodExecAudit: pod("ADMIN"),
    listPodLogRuns: pod("READ"),
    getPodLogRun: pod("READ"),
    downloadPodLogRun: pod("READ"),
  }),
  ...rulesFor(TemplatesService, {
    listTemplates: anyUser,
    addTemplate: anyUser,
    listTemplatesAndTags: anyUser,
    getTemplate: template("READ"),
    updateTemplate: template("USER"),
    deleteTemplate: template("ADMIN"),
    listTemplateTags: template(unlessDependencies("READ")),
    addTemplateTag: template("USER"),
    getTemplateTag: template(unlessDependencies("READ")),
    deleteTemplateTag: template("ADMIN"),
    getTemplatePermissions: template("USER"),
    setTemplatePermission: template("ADMIN"),
    deleteTemplatePermission: template("ADMIN"),
  }),
  ...rulesFor(ImagesService, {
    getImages: anyUser,
    addImage: serviceAdmin,
    addImages: serviceAdmin,
    getImage: anyUser,
    deleteImage: serviceAdmin,
  }),
  ...rulesFor(VolumesService, {
    listVolumes: anyUser,
    createVolume: anyUser,
    getVolume: volume("READ"),
    updateVolume: volume("USER"),
    deleteVolume: volume("ADMIN"),
    listVolumeFiles: volume("READ"),
    getVolumeContents: volume("USER"),
    uploadToVolume: volume("USER"),
    getVolumePermissions: volume("USER"),
    setVolumePermission: volume("ADMIN"),
    deleteVolumePermission: volume("ADMIN"),
  }),
  ...rulesFor(SnapshotsService, {
    listSnapshots: anyUser,
    createSnapshot: anyUser,
    getSnapshot: snapshot("READ"),
    updateSnapshot: snapshot("USER"),
    deleteSnapshot: snapshot("ADMIN"),
    listSnapshotFiles: snapshot("READ"),
    getSnapshotContents: snapshot("USER"),
    getSnapshotPermissions: snapshot("USER"),
    setSnapshotPermission: snapshot("ADMIN"),
    deleteSnapshotPermission: snapshot("ADMIN"),
  }),
  ...rulesFor(SecretsService, {
    listSecrets: anyUser,
    createSecret: anyUser,
    getSecret: secret("READ"),
    updateSecret: secret("USER"),
    deleteSecret: secret("ADMIN"),
    getSecretValue: secret("USER"),
    getSecretPermissions: secret("USER"),
    setSecretPermission: secret("ADMIN"),
    deleteSecretPermission: secret("ADMIN"),
  }),
  ...rulesFor(JupyterService, {
    ensureJupyterPod: anyUser,
    uploadToJupyter: pod("USER"),
  }),
  ...rulesFor(ClustersService, {
    listClusters: serviceAdmin,
    createCluster: serviceAdmin,
    getCluster: serviceAdmin,
    updateCluster: serviceAdmin,
    deleteCluster: serviceAdmin,
    createAgentToken: serviceAdmin,
  }),
  ...rulesFor(MiscService, { healthcheck: publicAccess, traefikConfig: publicAccess, errorHandler: publicAccess }),
  // The same routes /traefik-config shows, for proxies that render them themselves.
  ...rulesFor(EdgeService, { getEdgeRoutes: publicAccess }),
  ...rulesFor(PodAuthService, { podAuth: publicAccess, podAuthCallback: publicAccess }),
  ...rulesFor(AgentService, { session: agent, listDesiredPods: agent, getDesiredPod: agent, streamDesiredPods: agent }),
  ...rulesFor(ReplicaService, { forwardExec: replica, forwardUpload: replica, forwardStorage: replica, forwardExecSession: replica }),
  ...rulesFor(DevIdentityService, {
    listTenants: publicAccess,
    getTenant: publicAccess,
    listSites: publicAccess,
    getSite: publicAccess,
    createToken: publicAccess,
    getAuthorizePage: publicAccess,
    authorize: publicAccess,
    getProfile: anyUser,
  }),
  ...rulesFor(PodWatchService, { watchPod: pod("READ"), watchPods: anyUser, followPodLogs: pod("READ") }),
  // A terminal in the pod runs any command: USER, who may already change the pod's command and read its credentials.
  ...rulesFor(ExecSessionService, { execSession: pod("USER") }),
  // What stock gRPC tools ask of any server: its schema and whether it serves.
  ...rulesFor(Health, { check: publicAccess, watch: publicAccess }),
  ...rulesFor(ServerReflectionV1, { serverReflectionInfo: publicAccess }),
  ...rulesFor(ServerReflectionV1alpha, { serverReflectionInfo: publicAccess }),
]);
