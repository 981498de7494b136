import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { KeptAliveAgent } from "../../agent/drivers/kubernetes/kept-alive-agent.js";

describe("one kept-alive connection pool for the Kubernetes client's requests", () => {
  it("handsOutTheSameKeepAliveAgentWhileTheTlsSettingsStayTheSame", () => {
    const agents = new KeptAliveAgent();
    const first = agents.instead(new https.Agent({ ca: "CA", cert: Buffer.from("cert"), key: Buffer.from("key") }));
    const second = agents.instead(new https.Agent({ ca: "CA", cert: Buffer.from("cert"), key: Buffer.from("key") }));
    assert.equal(first, second);
    assert.equal((first as https.Agent).options.keepAlive, true);
    assert.equal((first as https.Agent).options.ca, "CA");
    agents.destroy();
  });

  it("makesANewAgentWhenTheClientCertificateChanges", () => {
    const agents = new KeptAliveAgent();
    const before = agents.instead(new https.Agent({ cert: Buffer.from("cert-1"), key: Buffer.from("key") }));
    const after = agents.instead(new https.Agent({ cert: Buffer.from("cert-2"), key: Buffer.from("key") }));
    assert.notEqual(before, after);
    assert.deepEqual((after as https.Agent).options.cert, Buffer.from("cert-2"));
    agents.destroy();
  });

  it("leavesAPlainHttpAgentAsItIs", () => {
    const plain = new http.Agent();
    assert.equal(new KeptAliveAgent().instead(plain), plain);
  });
});
