import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AgentService } from "../../gen/tapis/pods/v1/agent_service_pb.js";

/** Writes an agent tokens file (token → cluster id) named after `name`, for PODS_AGENT_TOKENS_FILE; returns its path. */
export async function writeAgentTokens(name: string, tokens: Record<string, string>): Promise<string> {
  const file = join(tmpdir(), `pods-agent-tokens-${name}-${process.pid}.json`);
  await writeFile(file, JSON.stringify(tokens));
  return file;
}

/** An AgentService client of the control plane at `grpcUrl` that presents `token` as an agent's. */
export function agentClient(grpcUrl: string, token: string): Client<typeof AgentService> {
  return createClient(AgentService, createGrpcTransport({ baseUrl: grpcUrl, interceptors: [(next) => (req) => (req.header.set("x-pods-agent-token", token), next(req))] }));
}
