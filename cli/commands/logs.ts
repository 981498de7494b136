import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { UsageError } from "../cli-error.js";
import { createLogFollower, logText, readPodLogs, type LogKind } from "../logs/log-follower.js";
import { render } from "../output/render.js";

interface LogsOptions {
  follow?: boolean;
  actions?: boolean;
  interval: string;
}

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("print a pod's container output (or, with --actions, its action log)")
    .argument("<pod_id>", "the pod")
    .option("-f, --follow", "keep printing what is new until interrupted")
    .option("--actions", "the action log (what was done to the pod and what became of it) instead of the container output")
    .option("--interval <seconds>", "with --follow, how often to look for new text", "1")
    .addHelpText(
      "after",
      `
The service keeps the newest output of the current instance; a restart starts it afresh,
which --follow notes on standard error before printing the new instance's output.
Without --follow, -o json or -o yaml print both logs as the service returns them.`,
    )
    .action(async (podId: string, options: LogsOptions, command: Command) => {
      const context = await CommandContext.of(command);
      const client = await context.client();
      const kind: LogKind = options.actions ? "actions" : "container";
      if (!options.follow) {
        const logs = await readPodLogs(client, podId);
        process.stdout.write(render(context.output, logs, () => logText(logs, kind)));
        return;
      }
      const seconds = Number(options.interval);
      if (!(seconds >= 0.1 && seconds <= 3600)) throw new UsageError(`--interval '${options.interval}': must be between 0.1 and 3600 seconds`);
      await createLogFollower(client, seconds * 1000).follow(
        podId,
        kind,
        {
          onChange(change) {
            if (change.restarted) process.stderr.write(`pods: the logs of ${podId} started afresh (a new instance)\n`);
            process.stdout.write(change.text);
          },
          onInterruption(error) {
            process.stderr.write(`pods: cannot read the logs of ${podId} (${error.message}); trying again every ${seconds} s\n`);
          },
          onResumed() {
            process.stderr.write(`pods: reading the logs of ${podId} again\n`);
          },
        },
        new AbortController().signal,
      );
    });
}
