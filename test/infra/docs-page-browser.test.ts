import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";
import { startTestService, type TestService } from "../support/test-service.js";

const outputDir = join(resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ".."), "test-output");

/**
 * The docs page in a real browser (Debian's Chromium, driven by
 * playwright-core): every tag renders, and "try it" on get_pod with a token
 * answers the pod from the running service.
 */
describe("the API docs page in a headless Chromium", function () {
  this.timeout(120_000);
  let svc: TestService;
  let browser: BrowserContext;
  let profile: string;

  before(async () => {
    const executablePath = process.env.PODS_TEST_CHROMIUM;
    assert.ok(executablePath, "PODS_TEST_CHROMIUM must name Debian's chromium (npm run test:infra sets it from scripts/infra/chromium.sh)");
    svc = await startTestService();
    const token = await svc.token("alice");
    assert.equal((await svc.api("POST", "/v3/pods", { token, body: { pod_id: "docspod", image: "busybox", description: "tried from the docs" } })).status, 200);
    profile = await mkdtemp(join(tmpdir(), "pods-docs-browser-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      headless: true,
    });
  });
  after(async () => {
    await browser?.close();
    await svc?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("rendersEveryTagAndTriesGetPodWithAToken", async () => {
    const doc = (await (await fetch(`${svc.baseUrl}/v3/pods/openapi.json`)).json()) as { tags: { name: string }[] };
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(svc.baseUrl)) elsewhere.push(request.url());
    });
    await page.goto(`${svc.baseUrl}/v3/pods/docs`);
    for (const tag of doc.tags) await page.locator(`[data-tag="${tag.name}"]`).first().waitFor({ timeout: 30_000 });

    await page.locator("button.authorize").first().click();
    await page.locator(".modal-ux input").first().fill(await svc.token("alice"));
    await page.locator(".modal-ux button.authorize").first().click();
    await page.locator(".modal-ux button.btn-done").first().click();

    const operation = page.locator("#operations-Pods-get_pod");
    await operation.locator(".opblock-summary").first().click();
    await operation.locator("button.try-out__btn").click();
    await operation.locator('tr[data-param-name="pod_id"] input').fill("docspod");
    await operation.locator("button.execute").click();
    const response = operation.locator(".live-responses-table .response");
    await response.first().waitFor({ timeout: 30_000 });
    assert.equal((await response.locator(".response-col_status").first().innerText()).trim(), "200");
    assert.match(await operation.locator(".live-responses-table").innerText(), /tried from the docs/);

    await mkdir(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, "docs-page.png"), fullPage: false });
    assert.deepEqual(elsewhere, [], "the page loaded nothing from elsewhere");
  });
});
