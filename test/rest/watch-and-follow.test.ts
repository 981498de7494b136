import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PodWatchService } from "../../gen/tapis/pods/v1/watch_service_pb.js";
import { eventually } from "../support/eventually.js";
import { podId, startTestService, type TestService } from "../support/test-service.js";

interface ServerSentEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Server-Sent Events of a response, read as far as a test asks. */
function eventReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: ServerSentEvent[] = [];
  let buffer = "";
  return {
    events,
    /** Reads until `enough` holds (or fails after `timeoutMs`); returns every event read so far. */
    async until(enough: (events: ServerSentEvent[]) => boolean, timeoutMs = 20_000): Promise<ServerSentEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (!enough(events)) {
        if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended; events: ${JSON.stringify(events)}`);
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerSentEvent = { data: "" };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const [field, ...rest] = line.split(":");
            const text = rest.join(":").replace(/^ /, "");
            if (field === "id") event.id = text;
            else if (field === "event") event.event = text;
            else if (field === "data") event.data += text;
          }
          if (event.data) events.push(event);
        }
      }
      return events;
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

/** Watching pods and following their logs, for people and tools that watch. */
describe("watching pods and following logs", () => {
  let svc: TestService;
  let alice: string;

  before(async () => {
    svc = await startTestService();
    alice = await svc.token("alice");
  });
  after(() => svc.stop());

  const statusOf = (event: ServerSentEvent) => (JSON.parse(event.data) as { pod?: { status?: string } }).pod?.status;

  it("streamsAPodsChangesAsServerSentEventsAndResumesFromTheLastOne", async () => {
    const id = podId("watched");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    const response = await fetch(`${svc.baseUrl}/v3/pods/${id}/events`, { headers: { "X-Tapis-Token": alice, Accept: "text/event-stream" } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const first = eventReader(response);
    const seen = await first.until((events) => events.some((e) => statusOf(e) === "AVAILABLE"));
    await first.cancel();
    assert.equal(seen[0]!.event, "ADDED");
    assert.ok(seen.every((e) => /^\d+$/.test(e.id ?? "")), JSON.stringify(seen));
    const last = seen.at(-1)!.id!;

    assert.equal((await svc.api("GET", `/v3/pods/${id}/stop`, { token: alice })).status, 200);
    await svc.waitForStatus(alice, id, "STOPPED");
    const resumed = eventReader(await fetch(`${svc.baseUrl}/v3/pods/${id}/events`, { headers: { "X-Tapis-Token": alice, "Last-Event-ID": last } }));
    const after = await resumed.until((events) => events.some((e) => statusOf(e) === "STOPPED"));
    assert.ok(after.every((e) => Number(e.id) > Number(last)), JSON.stringify(after));
    assert.ok(after.every((e) => e.event === "MODIFIED"), JSON.stringify(after));

    assert.equal((await svc.api("DELETE", `/v3/pods/${id}`, { token: alice })).status, 200);
    const deleted = await resumed.until((events) => events.some((e) => e.event === "DELETED"));
    assert.equal(deleted.at(-1)!.event, "DELETED");
    await resumed.cancel();
  });

  it("refusesToStreamAPodTheCallerMayNotRead", async () => {
    const id = podId("private");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    const bob = await fetch(`${svc.baseUrl}/v3/pods/${id}/events`, { headers: { "X-Tapis-Token": await svc.token("bob") } });
    assert.equal(bob.status, 403);
    const nobody = await fetch(`${svc.baseUrl}/v3/pods/${id}/events`);
    assert.equal(nobody.status, 401);
  });

  it("followsAPodsLogsAsTheyCome", async () => {
    const id = podId("chatty");
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: id, image: "busybox" } })).status, 200);
    await svc.waitForStatus(alice, id, "AVAILABLE");
    const response = await fetch(`${svc.baseUrl}/v3/pods/${id}/logs?follow=true`, { headers: { "X-Tapis-Token": alice } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got: ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended; got: ${text}`);
        text += value;
      }
    };
    await readUntil(/simulated/);
    assert.equal((await svc.api("GET", `/v3/pods/${id}/stop`, { token: alice })).status, 200);
    await readUntil(/container stopped/);
    await reader.cancel();
    const unary = await svc.api("GET", `/v3/pods/${id}/logs`, { token: alice });
    assert.equal(unary.status, 200, "without follow, the logs answer as before");
  });

  it("watchesEveryPodTheCallerMayReadOverGrpc", async () => {
    const client = createClient(PodWatchService, createConnectTransport({ baseUrl: svc.grpcUrl, httpVersion: "2" }));
    const abort = new AbortController();
    const seen: { type: number; podId: string; revision: bigint }[] = [];
    const mine = podId("mine");
    const theirs = podId("theirs");
    const watching = (async () => {
      for await (const event of client.watchPods({}, { headers: { "x-tapis-token": alice }, signal: abort.signal })) {
        seen.push({ type: event.type, podId: event.podId, revision: event.revision });
      }
    })().catch(() => undefined);
    // Bob's pod exists while the watch runs: were visibility broken, it would come as ADDED or as a change.
    assert.equal((await svc.api("POST", "/v3/pods", { token: await svc.token("bob"), body: { pod_id: theirs, image: "busybox" } })).status, 200);
    assert.equal((await svc.api("POST", "/v3/pods", { token: alice, body: { pod_id: mine, image: "busybox" } })).status, 200);
    await eventually("alice's new pod in her watch", async () => seen.some((e) => e.podId === mine));
    abort.abort();
    await watching;
    assert.ok(!seen.some((e) => e.podId === theirs), "bob's pod must not reach alice's watch");
  });
});
