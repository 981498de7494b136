import type { Command } from "commander";
import { requestLifecycle } from "./lifecycle-request.js";

export function registerStop(program: Command): void {
  program
    .command("stop")
    .description("stop a pod; it keeps its definition and can be started again")
    .argument("<pod_id>", "the pod")
    .action((podId: string, _options: unknown, command: Command) => requestLifecycle(command, podId, "stop"));
}
