import type { Caller } from "../auth/caller.js";
import { levelAtLeast } from "../authz/levels.js";
import { isUserPattern } from "../edge/networking-rules.js";
import { AlreadyExistsError, InvalidArgumentError } from "../errors/domain-errors.js";
import { podDefaults, type NetworkingSpec } from "../pods/pod-model.js";
import type { PodService } from "../pods/pod-service.js";
import type { PodUploadService, UploadPiece } from "../pods/pod-upload-service.js";
import type { PodView } from "../pods/pod-view.js";
import type { Database } from "../storage/database.js";
import { permissionRepository } from "../storage/permission-repository.js";
import { podRepository } from "../storage/pod-repository.js";
import { parseTemplateRef, resolveTemplate } from "../templates/template-resolver.js";
import { jupyterPodId } from "./jupyter-pod-id.js";

/** The site's Jupyter settings. */
export interface JupyterConfig {
  /** The template every user's Jupyter pod is made from. */
  template: string;
  /** Where uploads land inside the pod: the notebook server's root folder. */
  workspace: string;
}

/** A user's Jupyter pod as /ensure answers. */
export interface JupyterPod {
  podId: string;
  url: string;
  status: string;
}

/** One message of a Jupyter upload. */
export interface JupyterUploadPiece {
  podId: string;
  path: string;
  file: Uint8Array;
}

/**
 * A Jupyter pod per user, made from the site's template with every http
 * entry behind Tapis login and open to its user alone, and uploads into its
 * workspace.
 */
export class JupyterPods {
  constructor(
    private readonly deps: { db: Database; pods: PodService; uploads: PodUploadService },
    private readonly config: JupyterConfig,
  ) {}

  /** Makes sure the caller has a running Jupyter pod: creates it, or starts it when stopped. Idempotent. */
  async ensure(caller: Caller): Promise<JupyterPod> {
    const podId = jupyterPodId(caller.username);
    const existing = await this.deps.db.read((m) => podRepository.find(m, caller.tenantId, podId));
    let view: PodView;
    if (existing) {
      await this.requireOwner(caller, podId);
      view = existing.statusRequested === "ON" ? await this.deps.pods.get(caller, podId) : await this.deps.pods.start(caller, podId);
    } else {
      try {
        view = await this.deps.pods.create(caller, podId, {
          template: this.config.template,
          description: `Jupyter of ${caller.username}, made by /pods/jupyter/ensure.`.slice(0, 255),
          template_overrides: { networking: await this.loginOnly(caller) },
        });
      } catch (error) {
        // Asked twice at once: the other call made it.
        if (!(error instanceof AlreadyExistsError)) throw error;
        return this.ensure(caller);
      }
    }
    return { podId, url: urlOf(view), status: view.status };
  }

  /** Streams an upload into `<workspace>/<path>` of a Jupyter pod. */
  async upload(caller: Caller, pieces: AsyncIterable<JupyterUploadPiece>, requestId: string): Promise<{ destPath: string; bytes: number }> {
    const workspace = this.config.workspace.replace(/\/+$/, "");
    const checked = async function* (this: JupyterPods): AsyncIterable<UploadPiece> {
      let first = true;
      let destPath = "";
      for await (const piece of pieces) {
        if (first) {
          if (!isWorkspacePath(piece.path)) throw new InvalidArgumentError("path", "must be a relative path inside the Jupyter workspace, without '..'");
          await this.requireJupyterPod(caller, piece.podId);
          destPath = `${workspace}/${piece.path}`;
          first = false;
        }
        yield { podId: piece.podId, destPath, file: piece.file };
      }
    }.call(this);
    return this.deps.uploads.upload(caller, checked, requestId);
  }

  /** Overrides putting each http entry of the template behind the caller's login. */
  private async loginOnly(caller: Caller): Promise<Record<string, NetworkingSpec>> {
    const template = await this.deps.db.read((m) => resolveTemplate(m, caller, this.config.template));
    const networking = template.definition.networking ?? podDefaults.networking;
    const user = isUserPattern(caller.username) ? caller.username.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : caller.username;
    return Object.fromEntries(
      Object.entries(networking)
        .filter(([, entry]) => (entry.protocol ?? "http") === "http")
        .map(([key]) => [key, { tapis_auth: true, tapis_auth_allowed_users: [user] }]),
    );
  }

  private async requireOwner(caller: Caller, podId: string): Promise<void> {
    if (caller.serviceAdmin) return;
    const level = await this.deps.db.read((m) => permissionRepository.levelOf(m, caller.tenantId, "pod", podId, caller.username));
    if (!levelAtLeast(level, "ADMIN")) throw new TakenPodIdError(podId);
  }

  private async requireJupyterPod(caller: Caller, podId: string): Promise<void> {
    const pod = await this.deps.db.read((m) => podRepository.find(m, caller.tenantId, podId));
    const wanted = parseTemplateRef(this.config.template).templateId;
    if (pod && (!pod.fields.template || parseTemplateRef(pod.fields.template).templateId !== wanted)) {
      throw new InvalidArgumentError("pod_id", `pod '${podId}' is not a Jupyter pod (template '${wanted}')`);
    }
  }
}

/** Another user holds the id the caller's Jupyter pod would have. */
class TakenPodIdError extends AlreadyExistsError {
  constructor(podId: string) {
    super("pod", podId);
    this.message = `pod '${podId}' belongs to someone else; ask its owner, or an administrator, to free the id`;
  }
}

function urlOf(view: PodView): string {
  const entry = view.networking.default ?? Object.values(view.networking).find((e) => e.protocol === "http");
  return entry?.url ? `https://${entry.url}` : "";
}

function isWorkspacePath(path: string): boolean {
  return path.length > 0 && path.length <= 1024 && !path.startsWith("/") && !path.includes("\0") && !path.split("/").some((part) => part === "..");
}
