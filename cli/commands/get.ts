import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { escapePath } from "../http/pods-client.js";
import { podDetails, type PodView } from "../output/pod-views.js";
import { render } from "../output/render.js";

export function registerGet(program: Command): void {
  program
    .command("get")
    .description("show one pod")
    .argument("<pod_id>", "the pod")
    .action(async (podId: string, _options: unknown, command: Command) => {
      const context = await CommandContext.of(command);
      const { result } = await (await context.client()).call<PodView>("GET", `/v3/pods/${escapePath(podId)}`);
      process.stdout.write(render(context.output, result, () => podDetails(result)));
    });
}
