import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { CliError, UsageError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import { escapePath } from "../http/pods-client.js";
import { render } from "../output/render.js";
import { attachSession } from "../session/attach-session.js";
import { LocalTerminal } from "../session/local-terminal.js";
import { SessionSocket } from "../session/session-socket.js";

interface ExecResult {
  results: { command: string[]; output: string; exit_code: number; success: boolean; error?: string }[];
  success: boolean;
}

interface ExecOptions {
  stdin?: boolean;
  tty?: boolean;
  timeout?: string;
  idleTimeout?: string;
}

/** The one-shot command's time limit when --timeout is not given. */
const defaultCommandTimeoutSeconds = 60;

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description("run a command in a running pod: once, printing its output, or attached with -i and -t")
    .argument("<pod_id>", "the pod (it must be AVAILABLE)")
    .argument("[command...]", "the command and its arguments, after --; with -i or -t, the image's shell when none is given")
    .option("-i, --stdin", "attach: standard input goes to the command and its output comes as it is written")
    .option("-t, --tty", "attach in a terminal: the local one goes raw (Ctrl-C goes to the pod) and its size follows the window")
    .option("--timeout <seconds>", `how long the command may run (without -i/-t: default ${defaultCommandTimeoutSeconds}; with them: the session's total time limit, default the service's)`)
    .option("--idle-timeout <seconds>", "with -i or -t: end the session after this long with nothing either way (default the service's)")
    .addHelpText(
      "after",
      `
Without -i or -t the command runs as given, without a shell (ask for one to use pipes:
-- sh -c 'ls | wc -l'), and its output is printed when it is done; the exit code is 6 when
it ran and failed. With -i and/or -t, pods attaches to it as kubectl exec does, and exits
with the command's own exit code (5 when the session ended without one: a time limit, the
pod or the connection gone; 130 after Ctrl-C without a terminal).

Examples:
  pods exec mydb -- ls -la /var/lib/postgresql
  pods exec mydb -o json -- env
  pods exec -it mydb                      # a shell in the pod
  pods exec -it mydb -- psql -U postgres
  pg_dump mydb | pods exec -i otherdb -- psql -U postgres`,
    )
    .action(async (podId: string, argv: string[], options: ExecOptions, command: Command) => {
      if (options.stdin || options.tty) return attach(podId, argv, options, command);
      if (argv.length === 0) throw new UsageError("a command is needed after --, unless -i or -t opens a session");
      const timeout = options.timeout === undefined ? defaultCommandTimeoutSeconds : seconds("--timeout", options.timeout);
      const context = await CommandContext.of(command);
      const { result } = await (await context.client()).call<ExecResult>("POST", `/v3/pods/${escapePath(podId)}/exec`, {
        body: { commands: [argv], command_timeout: timeout, total_timeout: timeout, fail_on_non_success: false },
      });
      const ran = result.results[0];
      process.stdout.write(render(context.output, result, () => ran?.output ?? ""));
      if (!result.success) {
        const why = ran?.error || `exited with code ${ran?.exit_code ?? "?"}`;
        throw new CliError(`the command ${why}`, ExitCode.commandFailed);
      }
    });
}

/** `exec -i` / `exec -t`: a session joined to the local standard streams, ending with the command's exit code. */
async function attach(podId: string, argv: string[], options: ExecOptions, command: Command): Promise<void> {
  const totalTimeout = options.timeout === undefined ? 0 : seconds("--timeout", options.timeout);
  const idleTimeout = options.idleTimeout === undefined ? 0 : seconds("--idle-timeout", options.idleTimeout);
  let tty = options.tty === true;
  if (tty && !process.stdin.isTTY) {
    process.stderr.write("pods: -t: standard input is not a terminal; the session runs without one\n");
    tty = false;
  }
  const context = await CommandContext.of(command);
  const size = tty ? LocalTerminal.sizeOf() : { columns: 0, rows: 0 };
  const session = await SessionSocket.open(await context.client(), { podId, command: argv, tty, ...size, idleTimeout, totalTimeout });
  const outcome = await attachSession(session, { tty, stdin: options.stdin === true });
  if (outcome.exitCode !== ExitCode.ok) throw new CliError(outcome.message, outcome.exitCode);
}

/** A whole number of seconds, at least 1, given for `flag`. */
function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} '${text}': must be a whole number of seconds, at least 1`);
  return value;
}
