import { chmod, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { EdgeService } from "../gen/tapis/pods/v1/edge_service_pb.js";
import type { Logger } from "../shared/logging/logger.js";
import { ControlPlanePool } from "../shared/rpc/control-plane-pool.js";
import { nginxConfig, type NginxOptions } from "./nginx/nginx-config.js";
import { NginxProcess } from "./nginx/nginx-process.js";

export interface NginxEdgeOptions extends NginxOptions {
  nginxBin: string;
  controlPlaneUrls: string[];
  /** The cluster whose pods this proxy routes; empty for every cluster. */
  clusterId: string;
  /** How often the routes are read again. */
  pollMs: number;
  /** Deadline of one read of the routes. */
  rpcTimeoutMs: number;
  logger: Logger;
}

/**
 * The nginx edge proxy: reads the edge model from the control plane
 * (EdgeService, the model /traefik-config renders for Traefik), renders it
 * as nginx configuration and keeps an nginx running on it. A changed model
 * is written, checked by nginx and only then loaded; a configuration nginx
 * refuses is logged and the running one stays.
 */
export class NginxEdge {
  private readonly nginx: NginxProcess;
  private readonly client: Client<typeof EdgeService>;
  private readonly configFile: string;
  private applied: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<boolean> | null = null;

  private constructor(private readonly options: NginxEdgeOptions) {
    this.configFile = join(options.runDir, "nginx.conf");
    this.nginx = new NginxProcess(options.nginxBin, options.runDir, this.configFile, options.logger);
    this.client = createClient(EdgeService, new ControlPlanePool(options.controlPlaneUrls));
  }

  /** Writes the first configuration (the routes, or none while the control plane cannot be reached), starts nginx and polls. */
  static async start(options: NginxEdgeOptions): Promise<NginxEdge> {
    const edge = new NginxEdge(options);
    // nginx's workers (another user when the master runs as root) connect to the sockets in s/.
    await mkdir(options.runDir, { recursive: true });
    await chmod(options.runDir, 0o755);
    for (const folder of ["s", "tmp"]) await mkdir(join(options.runDir, folder), { recursive: true, mode: 0o755 });
    await reachableByWorkers(options.runDir);
    const first = await edge.sync().catch((error: unknown) => {
      options.logger.warn("could not read the edge routes; starting with none", { error: String(error) });
      return false;
    });
    if (!first && edge.applied === null) {
      const empty = nginxConfig({ $typeName: "tapis.pods.v1.EdgeRoutes", routes: [], apiUrl: "" }, options).text;
      await writeFile(edge.configFile, empty);
      edge.applied = empty;
    }
    const refused = await edge.nginx.test(edge.configFile);
    if (refused) throw new Error(`nginx refuses the edge configuration: ${refused}`);
    edge.nginx.start();
    edge.schedule();
    return edge;
  }

  /** Resolves with the reason when nginx stops without being asked to: the proxy is down. */
  get died(): Promise<string> {
    return this.nginx.died;
  }

  /** Reads the routes now and loads them if they changed; true when a new configuration was loaded. */
  sync(): Promise<boolean> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = null));
    return this.syncing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.syncing?.catch(() => undefined);
    await this.nginx.stop();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.sync()
        .catch((error: unknown) => this.options.logger.warn("could not read the edge routes", { error: String(error) }))
        .finally(() => {
          if (this.timer) this.schedule();
        });
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async syncOnce(): Promise<boolean> {
    const { routes } = await this.client.getEdgeRoutes({ clusterId: this.options.clusterId }, { timeoutMs: this.options.rpcTimeoutMs });
    const rendered = nginxConfig(routes!, this.options);
    for (const { route, reason } of rendered.skipped) this.options.logger.warn("route left out of the nginx configuration", { route, reason });
    if (rendered.text === this.applied) return false;
    const candidate = `${this.configFile}.new`;
    await writeFile(candidate, rendered.text);
    if (this.nginx.running) {
      const refused = await this.nginx.test(candidate);
      if (refused) {
        this.options.logger.error("nginx refuses the new edge configuration; the running one stays", { problem: refused });
        return false;
      }
    }
    await rename(candidate, this.configFile);
    this.applied = rendered.text;
    this.nginx.reload();
    this.options.logger.info("edge configuration loaded", { routes: routes!.routes.length });
    return true;
  }
}

/**
 * nginx started by root runs its workers as another user (nobody), and
 * they connect to the sockets in the run folder: every folder above it must
 * let others through.
 */
async function reachableByWorkers(runDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let folder = dirname(resolve(runDir)); ; folder = dirname(folder)) {
    if (((await stat(folder)).mode & 0o001) === 0) {
      throw new Error(`PODS_EDGE_NGINX_DIR: nginx's workers cannot reach ${runDir}: ${folder} does not let other users through (chmod o+x, or choose another folder)`);
    }
    if (folder === dirname(folder)) return;
  }
}
