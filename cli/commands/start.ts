import type { Command } from "commander";
import { requestLifecycle } from "./lifecycle-request.js";

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("start a stopped pod (a new instance: logs start afresh)")
    .argument("<pod_id>", "the pod")
    .action((podId: string, _options: unknown, command: Command) => requestLifecycle(command, podId, "start"));
}
