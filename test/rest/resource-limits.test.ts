import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { podId, startTestService, type TestService } from "../support/test-service.js";
import { trustedTenant } from "../support/tokens.js";

const create = (svc: TestService, token: string, resources: Record<string, number>) =>
  svc.api("POST", "/v3/pods", { token, body: { pod_id: podId("res"), image: "busybox", resources } });

/** How much a pod may ask for: upstream's bounds by default, the site's own, and a tenant's own. */
describe("resource limits of pods", () => {
  describe("by default", () => {
    let svc: TestService;
    let alice: string;

    before(async () => {
      svc = await startTestService();
      alice = await svc.token("alice");
    });
    after(() => svc.stop());

    const refused: [Record<string, number>, RegExp][] = [
      [{ cpu_limit: 6001 }, /resources\.cpu_limit: must be between 250 and 6000/],
      [{ cpu_request: 100 }, /resources\.cpu_request: must be between 250 and 6000/],
      [{ mem_limit: 12289 }, /resources\.mem_limit: must be between 256 and 12288/],
      [{ gpus: 2 }, /resources\.gpus: must be between 0 and 1/],
      [{ ephemeral_storage_limit: 102401 }, /resources\.ephemeral_storage_limit: must be between 1 and 102400/],
    ];
    for (const [resources, message] of refused) {
      it(`refuses ${JSON.stringify(resources)}`, async () => {
        const answer = await create(svc, alice, resources);
        assert.equal(answer.status, 400, answer.body.message);
        assert.match(answer.body.message, message);
      });
    }

    it("acceptsTheBoundsThemselves", async () => {
      const answer = await create(svc, alice, { cpu_request: 250, cpu_limit: 6000, mem_request: 256, mem_limit: 12288, gpus: 1, ephemeral_storage_limit: 102400 });
      assert.equal(answer.status, 200, answer.body.message);
    });
  });

  describe("as configured for the site and for a tenant", () => {
    let svc: TestService;
    let alice: string;
    let carol: string;

    before(async () => {
      const other = await trustedTenant();
      const limitsFile = join(process.env.TMPDIR ?? "/tmp", `pods-limits-${process.pid}.json`);
      await writeFile(limitsFile, JSON.stringify({ other: { max_gpus: 4, max_cpu: 16000 } }));
      svc = await startTestService({ PODS_TENANT_KEYS_FILE: other.keysFile, PODS_POD_MAX_CPU: "8000", PODS_POD_MAX_MEMORY_MB: "65536", PODS_TENANT_LIMITS_FILE: limitsFile });
      alice = await svc.token("alice");
      carol = await other.token("carol");
    });
    after(() => svc.stop());

    it("appliesTheSitesBoundsToEveryTenant", async () => {
      assert.equal((await create(svc, alice, { cpu_limit: 8000, mem_limit: 65536 })).status, 200);
      assert.match((await create(svc, alice, { cpu_limit: 8001 })).body.message, /resources\.cpu_limit: must be between 250 and 8000/);
    });

    it("letsATenantsOwnBoundsOverrideTheSites", async () => {
      assert.equal((await create(svc, carol, { cpu_limit: 16000, gpus: 4 })).status, 200);
      assert.match((await create(svc, carol, { gpus: 5 })).body.message, /resources\.gpus: must be between 0 and 4/);
      assert.match((await create(svc, alice, { gpus: 4 })).body.message, /resources\.gpus: must be between 0 and 1/);
    });
  });
});
