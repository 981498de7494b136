import assert from "node:assert/strict";
import { eventually } from "../support/eventually.js";
import { startTestService, type TestService } from "../support/test-service.js";

type Json = Record<string, any>;

/** A probe as results show it: every field, upstream's defaults where unset. */
function shownProbe(given: Json): Json {
  const http = given.http_get_path !== undefined;
  return {
    http_get_path: given.http_get_path ?? null,
    http_get_port: http ? (given.http_get_port ?? 5000) : null,
    http_get_scheme: given.http_get_scheme ?? "HTTP",
    exec_command: given.exec_command ?? [],
    tcp_socket_port: given.tcp_socket_port ?? null,
    initial_delay_seconds: given.initial_delay_seconds ?? 10,
    period_seconds: given.period_seconds ?? 10,
    timeout_seconds: given.timeout_seconds ?? 5,
    failure_threshold: given.failure_threshold ?? 3,
    success_threshold: given.success_threshold ?? 1,
  };
}

describe("pod healthchecks: liveness, readiness and startup probes", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const create = (body: Json) => svc.api("POST", "/v3/pods", { token: alice, body: { image: "nginx:1", status_requested: "OFF", ...body } });

  it("storesEachProbeWithUpstreamsDefaultsAndShowsThemOnThePod", async () => {
    const readiness = { http_get_path: "/health?full=1", http_get_port: 8080, http_get_scheme: "HTTPS", initial_delay_seconds: 0, success_threshold: 2 };
    const liveness = { exec_command: ["sh", "-c", "test -f /tmp/alive\n"], period_seconds: 30 };
    const startup = { tcp_socket_port: 5432, failure_threshold: 30 };
    const created = await create({ pod_id: "probed", healthchecks: { readiness, liveness, startup } });
    assert.equal(created.status, 200, created.body.message);
    const expected = { liveness: shownProbe(liveness), readiness: shownProbe(readiness), startup: shownProbe(startup), networking_requires_ready: true };
    assert.deepEqual(created.body.result.healthchecks, expected);
    const read = await svc.api("GET", "/v3/pods/probed", { token: alice });
    assert.deepEqual(read.body.result.healthchecks, expected);
    assert.equal(read.body.result.networking_live, false);

    const plain = await create({ pod_id: "unprobed" });
    assert.equal(plain.body.result.healthchecks, null);
    assert.equal(plain.body.result.networking_live, false);
  });

  it("letsATemplateTagCarryHealthchecksThatPodsInheritAndReplaceWhole", async () => {
    assert.equal((await svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "probedtpl" } })).status, 200);
    const tag = await svc.api("POST", "/v3/pods/templates/probedtpl/tags", {
      token: alice,
      body: { commit_message: "probes", pod_definition: { image: "nginx:1", healthchecks: { readiness: { tcp_socket_port: 80 }, networking_requires_ready: false } } },
    });
    assert.equal(tag.status, 200, tag.body.message);
    assert.deepEqual(tag.body.result.pod_definition.healthchecks, {
      liveness: null,
      readiness: { ...shownProbe({ tcp_socket_port: 80 }), http_get_scheme: null, initial_delay_seconds: null, period_seconds: null, timeout_seconds: null, failure_threshold: null, success_threshold: null },
      startup: null,
      networking_requires_ready: false,
    });

    const inherited = await create({ pod_id: "fromprobed", template: "probedtpl" });
    assert.equal(inherited.status, 200, inherited.body.message);
    assert.deepEqual(inherited.body.result.healthchecks, { liveness: null, readiness: shownProbe({ tcp_socket_port: 80 }), startup: null, networking_requires_ready: false });

    const replaced = await create({ pod_id: "ownprobed", template: "probedtpl", healthchecks: { liveness: { http_get_path: "/" } } });
    assert.deepEqual(replaced.body.result.healthchecks, { liveness: shownProbe({ http_get_path: "/" }), readiness: null, startup: null, networking_requires_ready: true });
  });

  it("changesAndClearsHealthchecksWithPutAndRefusesAPutThatChangesNothing", async () => {
    assert.equal((await create({ pod_id: "putprobed" })).status, 200);
    const readiness = { exec_command: ["true"] };
    const set = await svc.api("PUT", "/v3/pods/putprobed", { token: alice, body: { healthchecks: { readiness } } });
    assert.equal(set.status, 200, set.body.message);
    assert.deepEqual(set.body.result.healthchecks.readiness, shownProbe(readiness));
    const logs = await svc.api("GET", "/v3/pods/putprobed/logs", { token: alice });
    assert.ok(logs.body.result.action_logs.some((line: string) => line.endsWith("Pod updated by alice: healthchecks.")), JSON.stringify(logs.body.result.action_logs));

    const again = await svc.api("PUT", "/v3/pods/putprobed", { token: alice, body: { healthchecks: { readiness } } });
    assert.equal(again.status, 400);
    assert.equal(again.body.message, "pod 'putprobed' is unchanged: healthchecks already holds the values given");

    const cleared = await svc.api("PUT", "/v3/pods/putprobed", { token: alice, body: { healthchecks: null } });
    assert.equal(cleared.status, 200, cleared.body.message);
    assert.equal(cleared.body.result.healthchecks, null);
  });

  it("refusesEveryBadProbeWith400NamingTheFieldAndTheRule", async () => {
    const cases: [Json, string][] = [
      [{ readiness: {} }, "healthchecks.readiness: set exactly one of http_get_path, tcp_socket_port or exec_command"],
      [{ readiness: { http_get_path: "/", tcp_socket_port: 80 } }, "healthchecks.readiness: set exactly one of http_get_path, tcp_socket_port or exec_command"],
      [{ liveness: { http_get_path: "health" } }, "healthchecks.liveness.http_get_path: must start with '/'"],
      [{ liveness: { http_get_path: "/a b" } }, "healthchecks.liveness.http_get_path: may hold only letters, digits and -._~!$&'()*+,;=:@%/? (no spaces, control characters, '#' or '\\')"],
      [{ liveness: { http_get_path: "/x\r\nHost: evil" } }, "healthchecks.liveness.http_get_path: may hold only letters, digits and -._~!$&'()*+,;=:@%/? (no spaces, control characters, '#' or '\\')"],
      [{ liveness: { http_get_path: `/${"a".repeat(2048)}` } }, "healthchecks.liveness.http_get_path: must be at most 2048 characters"],
      [{ liveness: { http_get_path: "/", http_get_port: 0 } }, "healthchecks.liveness.http_get_port: must be between 1 and 65535"],
      [{ liveness: { http_get_path: "/", http_get_port: 70000 } }, "healthchecks.liveness.http_get_port: must be between 1 and 65535"],
      [{ liveness: { tcp_socket_port: 80, http_get_port: 80 } }, "healthchecks.liveness.http_get_port: applies only to probes with http_get_path"],
      [{ liveness: { http_get_path: "/", http_get_scheme: "ftp" } }, "healthchecks.liveness.http_get_scheme: must be HTTP or HTTPS"],
      [{ startup: { tcp_socket_port: -1 } }, "healthchecks.startup.tcp_socket_port: must be between 1 and 65535"],
      [{ startup: { exec_command: Array.from({ length: 33 }, () => "x") } }, "healthchecks.startup.exec_command: must hold at most 32 arguments"],
      [{ startup: { exec_command: ["", "x"] } }, "healthchecks.startup.exec_command[0]: must not be empty"],
      [{ startup: { exec_command: ["cat", "a\u0000b"] } }, "healthchecks.startup.exec_command[1]: must not hold control characters other than tab and newline"],
      [{ startup: { exec_command: ["echo", "x".repeat(4097)] } }, "healthchecks.startup.exec_command[1]: must be at most 4096 bytes"],
      [{ readiness: { tcp_socket_port: 80, initial_delay_seconds: -1 } }, "healthchecks.readiness.initial_delay_seconds: must be between 0 and 3600"],
      [{ readiness: { tcp_socket_port: 80, period_seconds: 0 } }, "healthchecks.readiness.period_seconds: must be between 1 and 3600"],
      [{ readiness: { tcp_socket_port: 80, timeout_seconds: 3601 } }, "healthchecks.readiness.timeout_seconds: must be between 1 and 3600"],
      [{ readiness: { tcp_socket_port: 80, failure_threshold: 0 } }, "healthchecks.readiness.failure_threshold: must be between 1 and 100"],
      [{ readiness: { tcp_socket_port: 80, success_threshold: 101 } }, "healthchecks.readiness.success_threshold: must be between 1 and 100"],
      [{ liveness: { tcp_socket_port: 80, success_threshold: 2 } }, "healthchecks.liveness.success_threshold: must be 1 for liveness and startup probes (Kubernetes allows no other value)"],
      [{ readiness: { tcp_socket_port: 80, command: ["x"] } }, "healthchecks.readiness.command: unknown field"],
      [{ readiness: { tcp_socket_port: "80" } }, "healthchecks.readiness.tcp_socket_port: expected an integer between -2147483648 and 2147483647, got a string (\"80\")"],
      [{ networking_requires_ready: "yes" }, "healthchecks.networking_requires_ready: expected true or false, got a string (\"yes\")"],
    ];
    for (const [healthchecks, message] of cases) {
      const answer = await create({ pod_id: "badprobe", healthchecks });
      assert.equal(answer.status, 400, `${JSON.stringify(healthchecks)}: ${answer.body.message}`);
      assert.equal(answer.body.message, message, JSON.stringify(healthchecks));
    }
    assert.equal((await svc.api("GET", "/v3/pods/badprobe", { token: alice })).status, 404);

    assert.equal((await create({ pod_id: "goodprobe" })).status, 200);
    const put = await svc.api("PUT", "/v3/pods/goodprobe", { token: alice, body: { healthchecks: { startup: { http_get_path: "/#frag" } } } });
    assert.equal(put.status, 400);
    assert.equal(put.body.message, "healthchecks.startup.http_get_path: may hold only letters, digits and -._~!$&'()*+,;=:@%/? (no spaces, control characters, '#' or '\\')");

    assert.equal((await svc.api("POST", "/v3/pods/templates", { token: alice, body: { template_id: "badprobetpl" } })).status, 200);
    const tag = await svc.api("POST", "/v3/pods/templates/badprobetpl/tags", {
      token: alice,
      body: { commit_message: "bad", pod_definition: { image: "nginx:1", healthchecks: { readiness: { tcp_socket_port: 0 } } } },
    });
    assert.equal(tag.status, 400);
    assert.equal(tag.body.message, "pod_definition.healthchecks.readiness.tcp_socket_port: must be between 1 and 65535");
  });

  it("refusesNetworkingLiveInARequestBecauseTheServiceSetsIt", async () => {
    const answer = await create({ pod_id: "livepod", networking_live: true });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, "networking_live: unknown field");
  });
});

describe("readiness gates a pod's URLs (simulated cluster)", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const hosts = async (): Promise<string[]> => (await fetch(`${svc.baseUrl}/v3/traefik-config`).then((r) => r.text())).match(/Host\(`[a-z0-9.-]+`\)/g) ?? [];

  it("leavesAPodOutOfTheEdgeUntilItsReadinessInitialDelayHasPassedThenRoutesIt", async () => {
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: "gated", image: "nginx:1", healthchecks: { readiness: { http_get_path: "/ready", initial_delay_seconds: 3 } } },
    });
    assert.equal(created.status, 200, created.body.message);
    const available = await svc.waitForStatus(alice, "gated", "AVAILABLE");
    // Ready is reported only after the initial delay, so the pod is AVAILABLE and not live first.
    assert.equal(available.body.result.status_container.ready, false);
    assert.equal(available.body.result.networking_live, false);
    assert.ok(!(await hosts()).includes("Host(`gated.pods.dev.localhost`)"), "not routed before it is ready");

    const live = await eventually("the pod to be reported ready", async () => {
      const pod = (await svc.api("GET", "/v3/pods/gated", { token: alice })).body.result;
      return pod.networking_live ? pod : undefined;
    });
    assert.equal(live.status_container.ready, true);
    assert.equal(live.status_container.simulated, true);
    assert.ok((await hosts()).includes("Host(`gated.pods.dev.localhost`)"));
    const logs = (await svc.api("GET", "/v3/pods/gated/logs", { token: alice })).body.result.action_logs as string[];
    assert.ok(
      logs.some((line) => line.endsWith("[simulated] Reported ready after the readiness probe's initial delay of 3 s; no probe ran: no container runs in the simulated cluster.")),
      JSON.stringify(logs),
    );

    await svc.api("GET", "/v3/pods/gated/stop", { token: alice });
    const stopped = await svc.waitForStatus(alice, "gated", "STOPPED");
    assert.equal(stopped.body.result.networking_live, false);
  });

  it("routesAPodAsSoonAsItIsAvailableWhenItsUrlsDoNotWaitForReadiness", async () => {
    for (const [podId, healthchecks] of [
      ["ungated", { readiness: { tcp_socket_port: 5000, initial_delay_seconds: 3600 }, networking_requires_ready: false }],
      ["noreadiness", { liveness: { tcp_socket_port: 5000 } }],
      ["noprobes", undefined],
    ] as const) {
      assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: podId, image: "nginx:1", healthchecks } })).status, 200);
      const pod = (await svc.waitForStatus(alice, podId, "AVAILABLE")).body.result;
      assert.equal(pod.networking_live, true, podId);
      assert.ok((await hosts()).includes(`Host(\`${podId}.pods.dev.localhost\`)`), podId);
    }
  });
});

describe("a simulated cluster told never to report ready", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService({ PODS_SIMULATED_READINESS: "never" });
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  it("keepsAPodWithAReadinessGateOutOfTheEdgeAndSaysWhyInItsActionLog", async () => {
    const created = await svc.api("POST", "/v3/pods", {
      token: alice,
      body: { pod_id: "neverready", image: "nginx:1", healthchecks: { readiness: { tcp_socket_port: 5000, initial_delay_seconds: 0 } } },
    });
    assert.equal(created.status, 200, created.body.message);
    const pod = (await svc.waitForStatus(alice, "neverready", "AVAILABLE")).body.result;
    assert.equal(pod.status_container.ready, false);
    assert.equal(pod.networking_live, false);
    const config = await fetch(`${svc.baseUrl}/v3/traefik-config`).then((r) => r.text());
    assert.ok(!config.includes("neverready"), config);
    const logs = (await svc.api("GET", "/v3/pods/neverready/logs", { token: alice })).body.result.action_logs as string[];
    assert.ok(logs.some((line) => line.includes("[simulated] Never reported ready (PODS_SIMULATED_READINESS=never); no probe runs: no container runs in the simulated cluster.")), JSON.stringify(logs));
  });
});
