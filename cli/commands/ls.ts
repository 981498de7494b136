import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { podsTable, type PodView } from "../output/pod-views.js";
import { render } from "../output/render.js";

export function registerLs(program: Command): void {
  program
    .command("ls")
    .alias("list")
    .description("list the pods you can see")
    .action(async (_options: unknown, command: Command) => {
      const context = await CommandContext.of(command);
      const { result } = await (await context.client()).call<PodView[]>("GET", "/v3/pods");
      process.stdout.write(render(context.output, result, () => podsTable(result)));
    });
}
