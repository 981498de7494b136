import type { DescService } from "@bufbuild/protobuf";
import { DevIdentityService } from "../gen/tapis/identity/v1/dev_identity_service_pb.js";
import { ClustersService } from "../gen/tapis/pods/v1/clusters_service_pb.js";
import { ImagesService } from "../gen/tapis/pods/v1/images_service_pb.js";
import { JupyterService } from "../gen/tapis/pods/v1/jupyter_service_pb.js";
import { MiscService } from "../gen/tapis/pods/v1/misc_service_pb.js";
import { PodAuthService } from "../gen/tapis/pods/v1/pod_auth_service_pb.js";
import { PodAccessGateService } from "../gen/tapis/pods/v1/pod_access_gate_service_pb.js";
import { PodFilesService } from "../gen/tapis/pods/v1/pod_files_service_pb.js";
import { PodHistoryService } from "../gen/tapis/pods/v1/pod_history_service_pb.js";
import { PodsService } from "../gen/tapis/pods/v1/pods_service_pb.js";
import { SecretsService } from "../gen/tapis/pods/v1/secrets_service_pb.js";
import { SnapshotsService } from "../gen/tapis/pods/v1/snapshots_service_pb.js";
import { TemplatesService } from "../gen/tapis/pods/v1/templates_service_pb.js";
import { PodWatchService } from "../gen/tapis/pods/v1/watch_service_pb.js";
import { VolumesService } from "../gen/tapis/pods/v1/volumes_service_pb.js";

/** The services of the public REST API. */
export const publicServices: DescService[] = [
  PodsService,
  PodAccessGateService,
  PodFilesService,
  PodHistoryService,
  TemplatesService,
  ImagesService,
  VolumesService,
  SnapshotsService,
  SecretsService,
  JupyterService,
  ClustersService,
  MiscService,
  PodAuthService,
  PodWatchService,
];

/** Login endpoints served only by the embedded installation. */
export const devIdentityServices: DescService[] = [DevIdentityService];
