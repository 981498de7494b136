import { Command, Option } from "commander";
import { cliVersion } from "./cli-version.js";
import { registerCreate } from "./commands/create.js";
import { registerExec } from "./commands/exec.js";
import { registerGet } from "./commands/get.js";
import { registerLogin } from "./commands/login.js";
import { registerLogs } from "./commands/logs.js";
import { registerLs } from "./commands/ls.js";
import { registerRestart } from "./commands/restart.js";
import { registerRm } from "./commands/rm.js";
import { registerStart } from "./commands/start.js";
import { registerStop } from "./commands/stop.js";
import { registerUpload } from "./commands/upload.js";
import { registerVolume } from "./commands/volume.js";
import { outputFormats } from "./output/render.js";

const exitCodesHelp = `
Service: --base-url, else PODS_URL, else the URL of the last login, else http://127.0.0.1:8080.
Token: --token, else PODS_TOKEN, else the login saved for that URL.

Exit codes:
  0  done
  1  wrong usage: a bad flag or argument, a file that cannot be read (nothing was sent)
  2  not found (404)
  3  not logged in, login expired, or refused (401, 403)
  4  refused by the service as asked (400, 409, 413, ...): its message says why
  5  the service failed or cannot be reached (5xx, including 501 not built yet; network errors)
  6  exec: the command ran in the pod and failed
  exec -i / -t: the command's own exit code once the session has started`;

/**
 * The `pods` command line: global options, then one subcommand per file of
 * commands/. Errors surface as thrown values (exitOverride), so the caller
 * decides the exit code.
 */
export function createProgram(): Command {
  const program = new Command("pods")
    .description("Command-line client of the Tapis Pods service")
    .version(cliVersion(), "-V, --version")
    .addOption(new Option("--base-url <url>", "the service's base URL, e.g. https://tacc.tapis.io").env("PODS_URL"))
    .addOption(new Option("--token <jwt>", "a Tapis access token to use instead of the saved login").env("PODS_TOKEN"))
    .addOption(new Option("-o, --output <format>", "how results are printed").choices(outputFormats).default("table"))
    .addHelpText("after", exitCodesHelp)
    .exitOverride()
    .showHelpAfterError("(add --help for usage)");
  for (const register of [registerLogin, registerLs, registerGet, registerCreate, registerRm, registerStart, registerStop, registerRestart, registerLogs, registerExec, registerUpload, registerVolume]) {
    register(program);
  }
  return program;
}
