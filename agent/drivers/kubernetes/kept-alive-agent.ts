import type http from "node:http";
import https from "node:https";

type TlsSettings = unknown[];

/**
 * The Kubernetes client makes a new HTTPS agent for every request: a new
 * connection, so a new TLS handshake and secure context each time, which
 * under a burst of pods cost the agent (and the API server) more CPU than
 * the requests themselves. This hands out one keep-alive agent instead, made
 * with the same TLS options, and a new one only when those options change
 * (rotated client certificates).
 */
export class KeptAliveAgent {
  private current: { settings: TlsSettings; agent: https.Agent } | null = null;

  /** The agent to use in place of `made`, the one the client made for this request. */
  instead(made: http.Agent | undefined): http.Agent | undefined {
    if (!(made instanceof https.Agent)) return made;
    const settings = tlsSettingsOf(made.options);
    if (!this.current || !sameSettings(this.current.settings, settings)) {
      this.current?.agent.destroy();
      this.current = { settings, agent: new https.Agent({ ...made.options, keepAlive: true }) };
    }
    return this.current.agent;
  }

  destroy(): void {
    this.current?.agent.destroy();
    this.current = null;
  }
}

function tlsSettingsOf(options: https.AgentOptions): TlsSettings {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
  return [ca, cert, key, pfx, passphrase, rejectUnauthorized, servername];
}

function sameSettings(a: TlsSettings, b: TlsSettings): boolean {
  return a.every((value, i) => sameValue(value, b[i]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  return a === b;
}
