import { timingSafeEqual } from "node:crypto";
import { sha256 } from "./secret-digest.js";

/** Recognises the tokens agents present and the cluster each acts for. */
export interface AgentCredentials {
  agentCluster(token: string): Promise<string | null>;
}

/** The first source that knows the token decides. */
export function anyAgentCredentials(...sources: AgentCredentials[]): AgentCredentials {
  return {
    async agentCluster(token) {
      for (const source of sources) {
        const clusterId = await source.agentCluster(token);
        if (clusterId) return clusterId;
      }
      return null;
    },
  };
}

/** Tokens given in configuration: token -> cluster id. Compared in constant time. */
export class StaticAgentCredentials implements AgentCredentials {
  private readonly digests: { digest: Buffer; clusterId: string }[];

  constructor(tokens: Record<string, string>) {
    this.digests = Object.entries(tokens).map(([token, clusterId]) => ({ digest: sha256(token), clusterId }));
  }

  async agentCluster(token: string): Promise<string | null> {
    const digest = sha256(token);
    let found: string | null = null;
    for (const entry of this.digests) if (timingSafeEqual(entry.digest, digest)) found = entry.clusterId;
    return found;
  }
}
