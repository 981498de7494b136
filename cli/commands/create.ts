import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { CommandContext } from "../command-context.js";
import { UsageError } from "../cli-error.js";
import { podDetails, type PodView } from "../output/pod-views.js";
import { render } from "../output/render.js";
import { readStdin } from "../terminal/prompts.js";
import { podDefinition, type PodFlags } from "./pod-definition.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCreate(program: Command): void {
  program
    .command("create")
    .description("create a pod from a template or an image, given by flags or a JSON/YAML file")
    .argument("[pod_id]", "the new pod's id: 3-64 lowercase letters and digits, starting with a letter (or pod_id in the file)")
    .option("-f, --file <path>", "a JSON or YAML file of the pod's fields, as the REST API names them ('-' reads standard input)")
    .option("-t, --template <name>", "template to start from: name, name:tag or name:tag@timestamp")
    .option("-i, --image <image>", "container image (must be on the service's allowlist)")
    .option("-d, --description <text>", "what the pod is for")
    .option("-e, --env <NAME=VALUE>", "an environment variable (repeatable)", collect)
    .option("-p, --port <port>", "the container port of the pod's main URL")
    .option("--protocol <protocol>", "protocol of the main URL: http, tcp, postgres or local_only")
    .option("--time-to-stop <seconds>", "seconds each start runs before the pod is stopped (-1: never)")
    .option("--queue <name>", "compute queue, which selects the cluster")
    .option("--stopped", "create the pod without starting it")
    .addHelpText(
      "after",
      `
Flags take precedence over the file's fields; environment variables are merged.

Examples:
  pods create mydb --template postgres --description "test database"
  pods create web --image nginx:1.27 --port 80 -e MODE=demo
  pods create -f pod.yaml`,
    )
    .action(async (podId: string | undefined, options: PodFlags & { file?: string }, command: Command) => {
      const context = await CommandContext.of(command);
      const file = options.file === undefined ? undefined : { name: options.file, text: await readDefinition(options.file) };
      const body = podDefinition(podId, options, file);
      const { result } = await (await context.client()).call<PodView>("POST", "/v3/pods", { body });
      process.stdout.write(render(context.output, result, () => podDetails(result)));
    });
}

async function readDefinition(path: string): Promise<string> {
  if (path === "-") return readStdin();
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
