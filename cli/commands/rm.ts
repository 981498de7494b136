import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { CliError } from "../cli-error.js";
import { escapePath } from "../http/pods-client.js";
import { render } from "../output/render.js";

export function registerRm(program: Command): void {
  program
    .command("rm")
    .alias("delete")
    .description("delete pods (each is stopped and removed)")
    .argument("<pod_id...>", "the pods")
    .addHelpText("after", "\nEvery pod named is tried; the exit code is that of the first one that failed.")
    .action(async (podIds: string[], _options: unknown, command: Command) => {
      const context = await CommandContext.of(command);
      const client = await context.client();
      const deleted: { pod_id: string; message: string }[] = [];
      let firstFailure: CliError | undefined;
      for (const podId of podIds) {
        try {
          const { message } = await client.call<string>("DELETE", `/v3/pods/${escapePath(podId)}`);
          deleted.push({ pod_id: podId, message });
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          process.stderr.write(`pods: ${podId}: ${error.message}\n`);
          firstFailure ??= error;
        }
      }
      process.stdout.write(render(context.output, deleted, () => deleted.map((d) => `${d.pod_id}: ${d.message}`).join("\n")));
      if (firstFailure) throw new CliError(podIds.length > 1 ? `${podIds.length - deleted.length} of ${podIds.length} pods were not deleted` : "", firstFailure.exitCode);
    });
}
