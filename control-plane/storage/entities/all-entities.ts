import { GateAttemptEntity, GateAuditEntity, PodAccessTokenEntity } from "./access-gate-entities.js";
import { AgentPresenceEntity } from "./agent-presence-entity.js";
import { AgentTokenEntity, ClusterEntity } from "./cluster-entity.js";
import { ExecAuditEntity } from "./exec-audit-entity.js";
import { ImageEntity } from "./image-entity.js";
import { PodSecretValueEntity, SecretEntity } from "./secret-entity.js";
import { OutboxEntity } from "./outbox-entity.js";
import { PermissionEntity } from "./permission-entity.js";
import { PodChangeEntity } from "./pod-change-entity.js";
import { PodActionLogEntity } from "./pod-action-log-entity.js";
import { PodCredentialsEntity } from "./pod-credentials-entity.js";
import { PodEntity } from "./pod-entity.js";
import { PodLogChunkEntity, PodLogRunEntity } from "./pod-log-entity.js";
import { TemplateEntity } from "./template-entity.js";
import { TemplateTagEntity } from "./template-tag-entity.js";
import { LeaseEntity } from "./lease-entity.js";
import { SnapshotEntity } from "./snapshot-entity.js";
import { VolumeEntity } from "./volume-entity.js";

export const allEntities = [
  PodEntity,
  PodCredentialsEntity,
  PermissionEntity,
  PodActionLogEntity,
  PodLogChunkEntity,
  PodLogRunEntity,
  OutboxEntity,
  TemplateEntity,
  TemplateTagEntity,
  AgentPresenceEntity,
  ClusterEntity,
  AgentTokenEntity,
  PodChangeEntity,
  ImageEntity,
  SecretEntity,
  PodSecretValueEntity,
  VolumeEntity,
  SnapshotEntity,
  LeaseEntity,
  ExecAuditEntity,
  PodAccessTokenEntity,
  GateAttemptEntity,
  GateAuditEntity,
];
