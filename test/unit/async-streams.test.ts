import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { ReplicaService, type ForwardUploadRequestSchema } from "../../gen/tapis/pods/v1/replica_service_pb.js";
import { AsyncQueue } from "../../shared/async/async-queue.js";
import { Handoff } from "../../shared/async/handoff.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("handoff between a producer and a consumer", () => {
  it("resolvesAPutOnlyOnceTheConsumerHasTakenTheItem", async () => {
    const handoff = new Handoff<number>();
    let taken = false;
    const put = handoff.put(1).then(() => (taken = true));
    await tick();
    assert.equal(taken, false);
    const reader = handoff[Symbol.asyncIterator]();
    assert.deepEqual(await reader.next(), { value: 1, done: false });
    await put;
    handoff.end();
    assert.equal((await reader.next()).done, true);
  });

  it("refusesAWaitingPutWhenTheHandoffFails", async () => {
    const handoff = new Handoff<number>();
    const put = handoff.put(1);
    handoff.fail(new Error("the receiver went away"));
    await assert.rejects(put, /the receiver went away/);
    await assert.rejects(handoff.put(2), /the receiver went away/);
  });

  it("refusesWaitingPutsWhenTheConsumerStopsOrThrows", async () => {
    const stopped = new Handoff<number>();
    const first = stopped.put(1);
    await stopped[Symbol.asyncIterator]().return!();
    await assert.rejects(first, /the consumer stopped reading/);

    const thrown = new Handoff<number>();
    const second = thrown.put(1);
    await assert.rejects(thrown[Symbol.asyncIterator]().throw!(new Error("stream reset")), /stream reset/);
    await assert.rejects(second, /stream reset/);
  });

  it("carriesAClientStreamOverGrpcWithBackpressure", async () => {
    const received: number[] = [];
    const server = http2.createServer(
      connectNodeAdapter({
        routes: (router) =>
          router.service(ReplicaService, {
            async forwardExec() {
              return {};
            },
            async forwardUpload(requests) {
              let bytes = 0;
              for await (const request of requests) {
                received.push(request.data.length);
                bytes += request.data.length;
              }
              return { bytes: BigInt(bytes) };
            },
          }),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const client = createClient(ReplicaService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
      const pieces = new Handoff<MessageInitShape<typeof ForwardUploadRequestSchema>>();
      const answer = client.forwardUpload(pieces, { timeoutMs: 10_000 });
      answer.catch(() => undefined);
      await pieces.put({ clusterId: "c1", destPath: "/tmp/f" });
      for (const size of [10, 20, 30]) await pieces.put({ data: new Uint8Array(size) });
      pieces.end();
      assert.equal((await answer).bytes, 60n);
      assert.deepEqual(received, [0, 10, 20, 30]);
    } finally {
      server.close();
    }
  });
});

describe("async queue fed by push", () => {
  it("deliversPushedItemsInOrderAndEndsAfterThem", async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    const taken: number[] = [];
    const reading = (async () => {
      for await (const item of queue) taken.push(item);
    })();
    await tick();
    queue.push(2);
    queue.end();
    queue.push(3);
    await reading;
    assert.deepEqual(taken, [1, 2]);
  });

  it("failsTheReaderAfterTheItemsAlreadyPushed", async () => {
    const queue = new AsyncQueue<number>();
    const reader = queue[Symbol.asyncIterator]();
    const waiting = reader.next();
    queue.push(1);
    queue.push(2);
    queue.fail(new Error("session broke"));
    assert.deepEqual(await waiting, { value: 1, done: false });
    assert.deepEqual(await reader.next(), { value: 2, done: false });
    await assert.rejects(reader.next(), /session broke/);
  });
});
