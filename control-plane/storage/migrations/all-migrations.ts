import type { MigrationInterface } from "typeorm";
import type { FieldCipher } from "../../crypto/field-cipher.js";
import { InitialSchema1764028800000 } from "./0001-initial-schema.js";
import { AgentPresence1764115200000 } from "./0002-agent-presence.js";
import { Clusters1764201600000 } from "./0003-clusters.js";
import { encryptCredentialsMigration } from "./0004-encrypt-credentials.js";
import { ClusterClaims1764374400000 } from "./0005-cluster-claims.js";
import { Images1765000000000 } from "./0010-images.js";
import { Secrets1765000100000 } from "./0011-secrets.js";
import { PodOwners1765000200000 } from "./0012-pod-owners.js";
import { PodChanges1768000000000 } from "./0040-pod-changes.js";
import { VolumesAndSnapshots1766000000000 } from "./0020-volumes-and-snapshots.js";
import { PodMountUsers1770000000000 } from "./0060-pod-mount-users.js";
import { ExecAudit1770500000000 } from "./0065-exec-audit.js";
import { LogRuns1770600000000 } from "./0066-log-runs.js";
import { AccessGate1770700000000 } from "./0067-access-gate.js";
import { GateAttemptsByAddress1770800000000 } from "./0068-gate-attempts-by-address.js";
import { OutboxWithoutClaims1770900000000 } from "./0069-outbox-without-claims.js";

/**
 * Every migration, oldest first. Append; never edit one that has shipped.
 * `cipher` encrypts what a migration moves into encrypted columns.
 */
export function allMigrations(cipher: FieldCipher): (new () => MigrationInterface)[] {
  return [
    InitialSchema1764028800000,
    AgentPresence1764115200000,
    Clusters1764201600000,
    encryptCredentialsMigration(cipher),
    ClusterClaims1764374400000,
    Images1765000000000,
    Secrets1765000100000,
    PodOwners1765000200000,
    VolumesAndSnapshots1766000000000,
    PodChanges1768000000000,
    PodMountUsers1770000000000,
    ExecAudit1770500000000,
    LogRuns1770600000000,
    AccessGate1770700000000,
    GateAttemptsByAddress1770800000000,
    OutboxWithoutClaims1770900000000,
  ];
}
