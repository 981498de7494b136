import assert from "node:assert/strict";
import { equals, fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { PodSchema, type Pod } from "../../gen/tapis/pods/v1/pod_pb.js";
import { podToProto } from "../../control-plane/pods/pod-proto.js";
import type { PodView } from "../../control-plane/pods/pod-view.js";

/**
 * A pod's view becomes the same Pod message however it is built: here
 * against the protobuf runtime's reading of the view as the contract's JSON,
 * for views with every field set, with optional ones unset or null, and with
 * times at and around the epoch's millisecond edges.
 */
describe("a pod view becomes the Pod message the contract's JSON describes", () => {
  function viaJson(view: PodView): Pod {
    const iso = (millis: number | null) => (millis === null ? null : new Date(millis).toISOString());
    return fromJson(PodSchema, {
      ...view,
      status: `POD_STATUS_${view.status}`,
      status_requested: `STATUS_REQUESTED_${view.status_requested}`,
      volume_mounts: view.volume_mounts as unknown as JsonObject,
      networking: view.networking as unknown as JsonObject,
      resources: view.resources as JsonObject,
      status_container: view.status_container as JsonObject,
      template_overrides: view.template_overrides as JsonObject | null,
      healthchecks: view.healthchecks as unknown as JsonObject | null,
      time_to_stop_ts: iso(view.time_to_stop_ts),
      creation_ts: iso(view.creation_ts),
      update_ts: iso(view.update_ts),
      start_instance_ts: iso(view.start_instance_ts),
    });
  }

  const full: PodView = {
    pod_id: "pgdemo",
    image: "postgres:16",
    template: "postgres",
    description: "a pod",
    command: ["sleep", "5"],
    arguments: ["-c", "x"],
    environment_variables: { A: "1", B: "" },
    secret_map: { PW: "${pods:generated:password}" },
    status_requested: "ON",
    volume_mounts: {
      "/data": { type: "tapisvolume", source_id: "vol1", sub_path: "a/b", read_only: false, mounted_by: "alice" },
      "/etc/app/x.conf": { type: "configmap", config_content: "<12 bytes; use include_configs=true to show>", config_permissions: "0644", config_filename: "x.conf", config_update_mode: "restart", read_only: true },
    },
    time_to_stop_default: 43200,
    time_to_stop_instance: 3600,
    networking: {
      default: {
        protocol: "http",
        port: 5432,
        url: "pgdemo.pods.example.org",
        ip_allow_list: ["10.0.0.0/8"],
        tapis_auth: true,
        tapis_auth_response_headers: { "X-User": "<<tapisusername>>" },
        tapis_auth_allowed_users: ["*"],
        tapis_auth_return_path: "/",
        cors_allow_origins: ["https://a.example"],
        cors_allow_methods: ["GET"],
        cors_allow_headers: ["X-A"],
        cors_allow_credentials: true,
        cors_max_age: 100,
        cors_add_vary_header: true,
        tapis_ui_uri: "/ui",
        tapis_ui_uri_redirect: false,
        tapis_ui_uri_description: "UI",
        access_gate: true,
        access_gate_return_path: "/in",
      },
    },
    resources: { cpu_request: 250, cpu_limit: 2000, mem_request: 256, mem_limit: 3072, gpus: 0, ephemeral_storage_request: 1024, ephemeral_storage_limit: 2048 },
    compute_queue: "default",
    template_overrides: { description: "x", networking: { default: { port: 1 } }, command: null },
    time_to_stop_ts: 1_796_103_233_001,
    status: "AVAILABLE",
    status_container: { phase: "Running", ready: true, restarts: 0, message: null, nested: { list: [1, "a", null] } },
    creation_ts: 1_796_103_000_999,
    update_ts: 1_796_103_100_000,
    start_instance_ts: 1_796_103_100_500,
    url: "pgdemo.pods.example.org",
    healthchecks: {
      liveness: { http_get_path: "/health", http_get_port: 5000, http_get_scheme: "HTTP", exec_command: [], tcp_socket_port: null, initial_delay_seconds: 10, period_seconds: 10, timeout_seconds: 5, failure_threshold: 3, success_threshold: 1 },
      readiness: { http_get_path: null, http_get_port: null, http_get_scheme: "HTTP", exec_command: ["cat", "/tmp/ready"], tcp_socket_port: null, initial_delay_seconds: 0, period_seconds: 2, timeout_seconds: 1, failure_threshold: 1, success_threshold: 2 },
      startup: null,
      networking_requires_ready: false,
    },
    networking_live: true,
  };

  const sparse: PodView = {
    ...full,
    command: [],
    arguments: [],
    environment_variables: {},
    secret_map: {},
    status_requested: "OFF",
    volume_mounts: { "/x": { type: "ephemeral" } },
    time_to_stop_instance: null,
    networking: {},
    resources: { cpu_request: null, mem_limit: 512 } as unknown as PodView["resources"],
    template_overrides: null,
    time_to_stop_ts: null,
    status: "REQUESTED",
    status_container: {},
    creation_ts: 0,
    update_ts: 1,
    start_instance_ts: null,
    url: "",
    healthchecks: null,
    networking_live: false,
  };

  for (const [name, view] of Object.entries({ "every field set": full, "optional fields unset or null": sparse })) {
    it(`${name}`, () => {
      const built = podToProto(view);
      const expected = viaJson(view);
      assert.deepEqual(toJson(PodSchema, built), toJson(PodSchema, expected));
      assert.ok(equals(PodSchema, built, expected));
    });
  }
});
