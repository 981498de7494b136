import type { Command } from "commander";
import { requestLifecycle } from "./lifecycle-request.js";

export function registerRestart(program: Command): void {
  program
    .command("restart")
    .description("stop a pod and start a new instance of it")
    .argument("<pod_id>", "the pod")
    .option("--latest-tag", "move a pod made from a template to the newest version of its template tag")
    .action((podId: string, options: { latestTag?: boolean }, command: Command) =>
      requestLifecycle(command, podId, "restart", options.latestTag ? { grab_latest_template_tag: true } : {}),
    );
}
