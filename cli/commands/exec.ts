import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { CliError, UsageError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import { escapePath } from "../http/pods-client.js";
import { render } from "../output/render.js";

interface ExecResult {
  results: { command: string[]; output: string; exit_code: number; success: boolean; error?: string }[];
  success: boolean;
}

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description("run one command in a running pod and print its output")
    .argument("<pod_id>", "the pod (it must be AVAILABLE)")
    .argument("<command...>", "the command and its arguments, after --")
    .option("--timeout <seconds>", "how long the command may run", "60")
    .addHelpText(
      "after",
      `
The command runs as given, without a shell; ask for one to use pipes: -- sh -c 'ls | wc -l'.
The exit code is 6 when the command ran and failed (its output is still printed).

Examples:
  pods exec mydb -- ls -la /var/lib/postgresql
  pods exec mydb -o json -- env`,
    )
    .action(async (podId: string, argv: string[], options: { timeout: string }, command: Command) => {
      const context = await CommandContext.of(command);
      const seconds = Number(options.timeout);
      if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError(`--timeout '${options.timeout}': must be a whole number of seconds, at least 1`);
      const { result } = await (await context.client()).call<ExecResult>("POST", `/v3/pods/${escapePath(podId)}/exec`, {
        body: { commands: [argv], command_timeout: seconds, total_timeout: seconds, fail_on_non_success: false },
      });
      const ran = result.results[0];
      process.stdout.write(render(context.output, result, () => ran?.output ?? ""));
      if (!result.success) {
        const why = ran?.error || `exited with code ${ran?.exit_code ?? "?"}`;
        throw new CliError(`the command ${why}`, ExitCode.commandFailed);
      }
    });
}
